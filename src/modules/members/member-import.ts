/**
 * Reading a member list from the system a studio used before (issue 19): a spreadsheet saved as CSV, or another
 * platform's export. Pure functions: bytes to a sheet, headers to a suggested mapping, one row to the fields of
 * a new member, in the shapes `createMemberBody` checks. The service (member-import.service.ts) does the rest.
 */
import { parse } from 'csv-parse/sync';
import { AppError } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import { IMPORT_FIELDS, type ImportField } from './members.schemas.js';

/** Which header each field is read from. */
export type ImportMapping = Partial<Record<ImportField, string>>;

/** More rows than a studio has members is a wrong file; the import runs in one request and one transaction. */
export const MAX_IMPORT_ROWS = 20_000;

export interface Sheet {
  encoding: 'utf-8' | 'utf-16' | 'shift_jis';
  headers: string[];
  /** Data rows, without the header row and without empty rows. */
  rows: string[][];
  /** The line of the file each row starts on (the header is line 1), for the rows' errors. */
  lines: number[];
}

const unreadable = (line: number) => new AppError('unprocessable', text('members.import.unreadable', { line }));

/**
 * The file's text: UTF-8 (with or without a byte order mark) when it is valid UTF-8; UTF-16 with its byte order
 * mark (Excel's "Unicode text"); else Shift_JIS, which is what Excel in Japan saves as "CSV" (the WHATWG decoder
 * is Windows-31J, so ① and 髙 read right). Bytes that are none of these are refused, never replaced: a name must not
 * come in with a character lost.
 */
export function decodeCsv(bytes: Uint8Array): { encoding: Sheet['encoding']; text: string } {
  const decode = (label: string, from = 0) => new TextDecoder(label, { fatal: true }).decode(bytes.subarray(from));
  let decoded: { encoding: Sheet['encoding']; text: string };
  try {
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) decoded = { encoding: 'utf-8', text: decode('utf-8', 3) };
    else if (bytes[0] === 0xff && bytes[1] === 0xfe) decoded = { encoding: 'utf-16', text: decode('utf-16le', 2) };
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) decoded = { encoding: 'utf-16', text: decode('utf-16be', 2) };
    else {
      try {
        decoded = { encoding: 'utf-8', text: decode('utf-8') };
      } catch {
        decoded = { encoding: 'shift_jis', text: decode('shift_jis') };
      }
    }
  } catch {
    throw new AppError('unprocessable', text('members.import.unknown_encoding'));
  }
  return decoded;
}

/** Our own export guards formula-like cells with an apostrophe (csvLine); reading one back takes it off. */
const unguard = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

/** The sheet in the file: comma-separated, or tab-separated when the header line has tabs and no commas. */
export function readSheet(bytes: Uint8Array): Sheet {
  const { encoding, text: raw } = decodeCsv(bytes);
  // One kind of line end, so that the parser's line count is the file's (it counts a quoted CRLF twice).
  const content = raw.replace(/\r\n?/g, '\n');
  // A NUL is no text a studio typed (UTF-16 without its mark reads as UTF-8 full of them), and PostgreSQL refuses it.
  const nul = content.indexOf('\u0000');
  if (nul >= 0) throw unreadable(content.slice(0, nul).split('\n').length);
  const firstLine = content.slice(0, content.search(/\n|$/));
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let records: Array<{ record: string[]; info: { lines: number } }>;
  // The parser notices a stray quote only where the quoted cell would end (often the end of the file): the line
  // named is the one after the last record read whole, where the broken record starts.
  let lastWhole = 0;
  try {
    // csv-parse's types know no `info` with `on_record`; the shape is the documented one.
    const parseRecords = parse as (input: string, options: object) => typeof records;
    records = parseRecords(content, {
      delimiter, relax_column_count: true, skip_empty_lines: false, info: true,
      on_record: (record: string[], context: { lines: number }) => {
        lastWhole = context.lines;
        return record;
      },
    });
  } catch {
    throw unreadable(lastWhole + 1);
  }
  // A record starts on the line after the one the previous record ended on; empty rows (,,,) are left out.
  let ended = 0;
  const numbered = records
    .map(({ record, info }) => {
      const line = ended + 1;
      ended = info.lines;
      return { cells: record, line };
    })
    .filter((r) => r.cells.some((cell) => cell.trim() !== ''));
  const [head, ...rows] = numbered;
  if (!head) throw new AppError('unprocessable', text('members.import.empty'));
  if (rows.length > MAX_IMPORT_ROWS) throw new AppError('unprocessable', text('members.import.too_many_rows', { rows: rows.length, max: MAX_IMPORT_ROWS }));
  return { encoding, headers: head.cells.map((h) => h.trim()), rows: rows.map((r) => r.cells.map(unguard)), lines: rows.map((r) => r.line) };
}

/** A header as it is compared: full-width and half-width alike, case and spacing and punctuation ignored. */
const headerKey = (header: string) => header.normalize('NFKC').toLowerCase().replace(/[\s_\-・.()（）「」[\]]/g, '');

/** Headers each field is known by, in Japanese and English, as headerKey leaves them, the surest first. */
const KNOWN_HEADERS: Record<ImportField, string[]> = {
  // Not "No.": Japanese sheets often start with a running count, which is no member's id.
  externalId: ['会員番号', '会員id', '会員no', '会員コード', '顧客番号', '顧客id', '顧客コード', 'memberid', 'membernumber', 'memberno', 'externalid', 'customerid', 'id'],
  // Not the English "Name": it is often given name first, and a whole name is split family name first.
  fullName: ['氏名', '名前', 'お名前', '会員名', '顧客名'],
  familyName: ['familyname', 'lastname', 'surname', '姓', '苗字', '名字', '氏'],
  givenName: ['givenname', 'firstname', '名'],
  fullNameKana: ['kana', 'namekana', 'フリガナ', 'ふりがな', 'カナ', 'よみがな', 'ヨミガナ', '氏名カナ', '氏名フリガナ', '氏名ふりがな', 'シメイ'],
  familyNameKana: ['familynamekana', 'lastnamekana', 'セイ', 'せい', '姓カナ', '姓フリガナ', '姓ふりがな'],
  givenNameKana: ['givennamekana', 'firstnamekana', 'メイ', 'めい', '名カナ', '名フリガナ', '名ふりがな'],
  email: ['email', 'mail', 'emailaddress', 'mailaddress', 'メール', 'メールアドレス', 'eメール', 'eメールアドレス'],
  phone: ['phone', 'tel', 'telephone', 'mobile', 'phonenumber', 'telno', '電話', '電話番号', '携帯', '携帯電話', '携帯番号', '携帯電話番号', '連絡先'],
  birthDate: ['birthdate', 'birthday', 'dateofbirth', 'dob', '生年月日', '誕生日'],
  gender: ['gender', 'sex', '性別'],
  tags: ['tags', 'tag', 'タグ', 'ラベル'],
  credits: ['残りチケット', 'チケット残数', '残チケット', '残回数', '残り回数', '回数券残り', 'credits', 'remainingcredits', 'creditsleft', 'tickets'],
  creditsExpireOn: ['チケット有効期限', '回数券有効期限', '有効期限', 'creditsexpireon', 'creditsexpire', 'creditexpiry', 'ticketexpiry', 'expireson', 'expiry'],
  staffNotes: ['notes', 'note', 'memo', 'comment', 'メモ', '備考', 'コメント'],
};

/**
 * The mapping a studio most likely means: each field from the header it is best known by (the earlier in its
 * list, the better), each header for one field only.
 */
export function suggestMapping(headers: string[]): ImportMapping {
  const keys = headers.map(headerKey);
  const taken = new Set<number>();
  const mapping: ImportMapping = {};
  for (const field of IMPORT_FIELDS) {
    for (const known of KNOWN_HEADERS[field]) {
      const at = keys.findIndex((k, i) => k === known && !taken.has(i));
      if (at < 0) continue;
      mapping[field] = headers[at];
      taken.add(at);
      break;
    }
  }
  // A whole name and its parts both found: the parts say more. A given name alone is no name's part.
  if (mapping.familyName) delete mapping.fullName;
  else delete mapping.givenName;
  if (mapping.familyNameKana) delete mapping.fullNameKana;
  else delete mapping.givenNameKana;
  return mapping;
}

/** Each era's year 0 in the Gregorian calendar, and its first and last day: 平成31年5月1日 is no day. */
const ERAS: Record<string, { base: number; from: string; to: string }> = {
  明治: { base: 1867, from: '1868-10-23', to: '1912-07-29' },
  大正: { base: 1911, from: '1912-07-30', to: '1926-12-24' },
  昭和: { base: 1925, from: '1926-12-25', to: '1989-01-07' },
  平成: { base: 1988, from: '1989-01-08', to: '2019-04-30' },
  令和: { base: 2018, from: '2019-05-01', to: '9999-12-31' },
};
const ERA_LETTERS: Record<string, string> = { M: '明治', T: '大正', S: '昭和', H: '平成', R: '令和' };
const EXCEL_EPOCH = Date.UTC(1899, 11, 30);

function isoDay(year: number, month: number, day: number): string | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return d.toISOString().slice(0, 10);
}

/**
 * A date as spreadsheets in Japan hold it, as YYYY-MM-DD: 1990/4/1, 1990-04-01, 1990年4月1日, the Japanese era
 * (平成2年4月1日, H2.4.1, 元年 as 1, on a day the era had), or Excel's five-digit day number (32964), with a time after it ignored. Anything else
 * comes back as it was, for the schema to refuse in the reader's language.
 */
export function looseDate(value: string): string {
  const v = value.normalize('NFKC').trim().replace(/\s+\d{1,2}:\d{2}(:\d{2})?$/, '');
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(v);
  if (m) return isoDay(Number(m[1]), Number(m[2]), Number(m[3])) ?? value;
  m = /^(明治|大正|昭和|平成|令和|[MTSHR])\s*(\d{1,2}|元)[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/i.exec(v);
  if (m) {
    const [, era = '', year = '', month, dayOfMonth] = m;
    const known = ERAS[ERA_LETTERS[era.toUpperCase()] ?? era];
    const iso = known && isoDay(known.base + (year === '元' ? 1 : Number(year)), Number(month), Number(dayOfMonth));
    if (known && iso && iso >= known.from && iso <= known.to) return iso;
  }
  // Five digits only (from 1927-05-18): a four-digit number is a year, which is no date.
  if (/^\d{5}$/.test(v)) return new Date(EXCEL_EPOCH + Number(v) * 86_400_000).toISOString().slice(0, 10);
  return value;
}

const GENDERS: Record<string, 'female' | 'male' | 'other' | 'unspecified'> = {
  女: 'female', 女性: 'female', f: 'female', female: 'female', woman: 'female',
  男: 'male', 男性: 'male', m: 'male', male: 'male', man: 'male',
  その他: 'other', other: 'other',
  無回答: 'unspecified', 未回答: 'unspecified', 回答しない: 'unspecified', unspecified: 'unspecified',
};

/** A whole name in Japanese order, family name first: split at its first space (half- or full-width). */
function splitName(whole: string): [string, string] {
  const [family = '', ...given] = whole.trim().split(/[\s\u3000]+/);
  return [family, given.join(' ')];
}

/**
 * One row as the body of a new member, and where each body field was read from (for the row's errors). Empty
 * cells are left out, as a form leaves an empty field out.
 */
export function rowToMember(cells: string[], columns: Partial<Record<ImportField, number>>) {
  const cell = (field: ImportField) => {
    const at = columns[field];
    return at === undefined ? '' : (cells[at] ?? '').trim();
  };
  const body: Record<string, string | string[]> = {};
  const from: Record<string, ImportField> = {};
  const put = (key: string, value: string | string[], field: ImportField) => {
    if (value.length === 0) return;
    body[key] = value;
    from[key] = field;
  };
  const [family, given] = columns.familyName !== undefined ? [cell('familyName'), cell('givenName')] : splitName(cell('fullName'));
  put('familyName', family, columns.familyName !== undefined ? 'familyName' : 'fullName');
  put('givenName', given, columns.familyName !== undefined ? 'givenName' : 'fullName');
  const [familyKana, givenKana] = columns.familyNameKana !== undefined ? [cell('familyNameKana'), cell('givenNameKana')] : splitName(cell('fullNameKana'));
  put('familyNameKana', familyKana, columns.familyNameKana !== undefined ? 'familyNameKana' : 'fullNameKana');
  put('givenNameKana', givenKana, columns.familyNameKana !== undefined ? 'givenNameKana' : 'fullNameKana');
  put('email', cell('email').toLowerCase(), 'email');
  put('phone', cell('phone'), 'phone');
  put('birthDate', cell('birthDate') && looseDate(cell('birthDate')), 'birthDate');
  const gender = cell('gender');
  put('gender', gender && (GENDERS[gender.normalize('NFKC').toLowerCase()] ?? gender), 'gender');
  // As our own export writes them (space-separated), or with commas.
  put('tags', cell('tags').split(/[\s\u3000,、，]+/).filter((t) => t !== ''), 'tags');
  put('staffNotes', cell('staffNotes'), 'staffNotes');
  // Credits are not the registration's: they become a lot of the member's own (importedCredits).
  const amount = cell('credits').normalize('NFKC');
  const credits = /^0*$/.test(amount) ? null : { amount, ...(cell('creditsExpireOn') ? { expiresOn: looseDate(cell('creditsExpireOn')) } : {}) };
  return { externalId: cell('externalId'), body, from, credits };
}
