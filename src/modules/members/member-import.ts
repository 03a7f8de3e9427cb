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
  encoding: 'utf-8' | 'shift_jis';
  headers: string[];
  /** Data rows, without the header row; a row's number in the file is its index + 2. */
  rows: string[][];
}

/**
 * The file's text: UTF-8 (with or without a byte order mark) when it is valid UTF-8, else Shift_JIS, which is
 * what Excel in Japan saves as "CSV". The WHATWG Shift_JIS decoder is Windows-31J, so ① and 髙 read right.
 */
export function decodeCsv(bytes: Uint8Array): { encoding: Sheet['encoding']; text: string } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', text: new TextDecoder('utf-8').decode(bytes.subarray(3)) };
  try {
    return { encoding: 'utf-8', text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { encoding: 'shift_jis', text: new TextDecoder('shift_jis').decode(bytes) };
  }
}

/** Our own export guards formula-like cells with an apostrophe (csvLine); reading one back takes it off. */
const unguard = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

/** The sheet in the file: comma-separated, or tab-separated when the header line has tabs and no commas. */
export function readSheet(bytes: Uint8Array): Sheet {
  const { encoding, text: content } = decodeCsv(bytes);
  const firstLine = content.slice(0, content.search(/\r?\n|$/));
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let records: string[][];
  try {
    records = parse(content, { delimiter, relax_column_count: true, skip_empty_lines: true });
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    throw new AppError('unprocessable', text('members.import.unreadable', { line }));
  }
  const [head, ...rows] = records.filter((r) => r.some((cell) => cell.trim() !== ''));
  if (!head) throw new AppError('unprocessable', text('members.import.empty'));
  if (rows.length > MAX_IMPORT_ROWS) throw new AppError('unprocessable', text('members.import.too_many_rows', { rows: rows.length, max: MAX_IMPORT_ROWS }));
  return { encoding, headers: head.map((h) => h.trim()), rows: rows.map((r) => r.map(unguard)) };
}

/** A header as it is compared: full-width and half-width alike, case and spacing and punctuation ignored. */
const headerKey = (header: string) => header.normalize('NFKC').toLowerCase().replace(/[\s_\-・.()（）「」[\]]/g, '');

/** Headers each field is known by, in Japanese and English, as headerKey leaves them. */
const KNOWN_HEADERS: Record<ImportField, string[]> = {
  externalId: ['id', 'memberid', 'membernumber', 'memberno', 'externalid', 'customerid', 'no', '会員番号', '会員id', '会員no', '会員コード', '顧客番号', '顧客id', '顧客コード'],
  fullName: ['name', 'fullname', 'membername', '氏名', '名前', 'お名前', '会員名', '顧客名'],
  familyName: ['familyname', 'lastname', 'surname', '姓', '苗字', '名字', '氏'],
  givenName: ['givenname', 'firstname', '名'],
  fullNameKana: ['kana', 'namekana', 'フリガナ', 'ふりがな', 'カナ', 'よみがな', 'ヨミガナ', '氏名カナ', '氏名フリガナ', '氏名ふりがな', 'シメイ'],
  familyNameKana: ['familynamekana', 'lastnamekana', 'セイ', 'せい', '姓カナ', '姓フリガナ', '姓ふりがな'],
  givenNameKana: ['givennamekana', 'firstnamekana', 'メイ', 'めい', '名カナ', '名フリガナ', '名ふりがな'],
  email: ['email', 'mail', 'emailaddress', 'mailaddress', 'メール', 'メールアドレス', 'eメール', 'eメールアドレス'],
  phone: ['phone', 'tel', 'telephone', 'mobile', 'phonenumber', 'telno', '電話', '電話番号', '携帯', '携帯電話', '携帯番号', '携帯電話番号', '連絡先'],
  birthDate: ['birthdate', 'birthday', 'dateofbirth', 'dob', '生年月日', '誕生日'],
  gender: ['gender', 'sex', '性別'],
  staffNotes: ['notes', 'note', 'memo', 'comment', 'メモ', '備考', 'コメント'],
};

/** The mapping a studio most likely means: each field from the first header it is known by. */
export function suggestMapping(headers: string[]): ImportMapping {
  const keys = headers.map(headerKey);
  const mapping: ImportMapping = {};
  for (const field of IMPORT_FIELDS) {
    const at = keys.findIndex((k) => KNOWN_HEADERS[field].includes(k));
    if (at >= 0) mapping[field] = headers[at];
  }
  // A whole name and its parts both found: the parts say more.
  if (mapping.familyName) delete mapping.fullName;
  if (mapping.familyNameKana) delete mapping.fullNameKana;
  return mapping;
}

const ERAS: Record<string, number> = { 明治: 1867, M: 1867, 大正: 1911, T: 1911, 昭和: 1925, S: 1925, 平成: 1988, H: 1988, 令和: 2018, R: 2018 };
const EXCEL_EPOCH = Date.UTC(1899, 11, 30);

function isoDay(year: number, month: number, day: number): string | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return d.toISOString().slice(0, 10);
}

/**
 * A date as spreadsheets in Japan hold it, as YYYY-MM-DD: 1990/4/1, 1990-04-01, 1990年4月1日, the Japanese era
 * (平成2年4月1日, H2.4.1, 元年 as 1), or Excel's day number (32964), with a time after it ignored. Anything else
 * comes back as it was, for the schema to refuse in the reader's language.
 */
export function looseDate(value: string): string {
  const v = value.normalize('NFKC').trim().replace(/\s+\d{1,2}:\d{2}(:\d{2})?$/, '');
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(v);
  if (m) return isoDay(Number(m[1]), Number(m[2]), Number(m[3])) ?? value;
  m = /^(明治|大正|昭和|平成|令和|[MTSHR])\s*(\d{1,2}|元)[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/i.exec(v);
  if (m) {
    const [, era = '', year = '', month, dayOfMonth] = m;
    const base = ERAS[era.toUpperCase()];
    if (base !== undefined) return isoDay(base + (year === '元' ? 1 : Number(year)), Number(month), Number(dayOfMonth)) ?? value;
  }
  // Excel's day numbers below 61 fall before its phantom 29 February 1900; no birth date needs them.
  if (/^\d{2,5}$/.test(v) && Number(v) >= 61) return new Date(EXCEL_EPOCH + Number(v) * 86_400_000).toISOString().slice(0, 10);
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
  const body: Record<string, string> = {};
  const from: Record<string, ImportField> = {};
  const put = (key: string, value: string, field: ImportField) => {
    if (value === '') return;
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
  put('staffNotes', cell('staffNotes'), 'staffNotes');
  return { externalId: cell('externalId'), body, from };
}
