import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { TEST_ENV } from '../../../test/support/env.js';
import { looseDate, readSheet, suggestMapping } from './member-import.js';

let platform: TestPlatform;
let T: TestTenant;
let other: TestTenant;
let keys = 0;

const post = (tenant: TestTenant, url: string, file: Buffer, opts: { mapping?: Record<string, string>; language?: string } = {}) =>
  platform.call(tenant, {
    method: 'POST',
    url,
    token: tenant.ownerToken,
    headers: { 'idempotency-key': `member-import-${++keys}`, 'accept-language': opts.language ?? 'ja' },
    payload: { file: file.toString('base64'), ...(opts.mapping ? { mapping: opts.mapping } : {}) },
  });
const preview = (tenant: TestTenant, file: Buffer, opts?: Parameters<typeof post>[3]) => post(tenant, '/api/members/import/preview', file, opts);
const importFile = (tenant: TestTenant, file: Buffer, opts?: Parameters<typeof post>[3]) => post(tenant, '/api/members/import', file, opts);

const memberCount = async (tenant: TestTenant) => {
  const res = await platform.call(tenant, { method: 'GET', url: '/api/members/export', token: tenant.ownerToken });
  return res.body.replace(/^\uFEFF/, '').trimEnd().split('\r\n').length - 1;
};

const csv = (lines: string[]) => Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');

/**
 * 5,000 members as another system exports them, 50 of them wrong in the ways such files are: no id, an id
 * repeated, kana in romaji, a phone with letters, a broken address, a birth date not yet come, an impossible day.
 */
function bigFile() {
  const lines = ['会員ID,姓,名,セイ,メイ,電話番号,メールアドレス,生年月日'];
  const bad = new Set<number>();
  for (let i = 1; i <= 5_000; i++) {
    const cells = [`OLD-${i}`, `山田${i}`, '花子', 'ヤマダ', 'はなこ', `090${String(i).padStart(8, '0')}`, `m${i}@example.com`, '1990/4/1'];
    const kind = i % 100 === 0 ? (i / 100) % 7 : -1;
    if (kind >= 0) bad.add(i + 1);
    if (kind === 0) cells[0] = '';
    if (kind === 1) cells[0] = 'OLD-1';
    if (kind === 2) cells[3] = 'yamada';
    if (kind === 3) cells[5] = '090-abcd-efgh';
    if (kind === 4) cells[6] = 'not-an-address';
    if (kind === 5) cells[7] = '2090/1/1';
    if (kind === 6) cells[7] = '1990/2/30';
    lines.push(cells.join(','));
  }
  return { file: csv(lines), badLines: [...bad].sort((a, b) => a - b) };
}

beforeAll(async () => {
  platform = await startTestPlatform();
  [T, other] = [await platform.createTenant(), await platform.createTenant()];
});
afterAll(() => platform?.close());

describe('reading another system’s member list', () => {
  it('reads Shift_JIS as Excel in Japan saves it, and UTF-8 with a BOM', () => {
    const sjis = readSheet(iconv.encode('会員番号,氏名,フリガナ\r\n1,髙橋 ①子,タカハシ イチコ\r\n', 'Shift_JIS'));
    expect(sjis).toEqual({ encoding: 'shift_jis', headers: ['会員番号', '氏名', 'フリガナ'], rows: [['1', '髙橋 ①子', 'タカハシ イチコ']], lines: [2] });
    expect(readSheet(csv(['id,name', '7,"Yamada, Hanako"'])).rows).toEqual([['7', 'Yamada, Hanako']]);
    expect(readSheet(Buffer.from('id\tname\n7\t山田\n')).rows).toEqual([['7', '山田']]);
    expect(readSheet(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('会員番号\t氏名\r\n1\t山田\r\n', 'utf16le')]))).toMatchObject({ encoding: 'utf-16', rows: [['1', '山田']] });
  });

  it('numbers each row by the line it starts on, past empty rows and notes of several lines', () => {
    const sheet = readSheet(csv(['id,note', '1,"two\r\nlines"', '', ',', '2,x']));
    expect(sheet.rows).toEqual([['1', 'two\nlines'], ['2', 'x']]);
    expect(sheet.lines).toEqual([2, 6]);
  });

  it('names the line a stray quote starts on, not where the parser gave up', () => {
    expect(() => readSheet(Buffer.from('id,name\n1,a\n2,"b\n3,c\n4,d\n'))).toThrow(/near line 3\b/);
  });

  it('refuses bytes it cannot read rather than replace a character', () => {
    expect(() => readSheet(Buffer.from([0x69, 0x64, 0x0a, 0x81, 0x20]))).toThrow(/not in UTF-8, UTF-16 or Shift_JIS/);
    expect(() => readSheet(Buffer.from('id,name\n1,a\u0000b\n'))).toThrow(/near line 2/);
  });

  it('recognises Japanese and English headers, the parts of a name over the whole', () => {
    expect(suggestMapping(['会員番号', '氏名', 'ﾌﾘｶﾞﾅ', 'E-Mail', '携帯電話', '生年月日', '性別', '備考'])).toEqual({
      externalId: '会員番号', fullName: '氏名', fullNameKana: 'ﾌﾘｶﾞﾅ', email: 'E-Mail', phone: '携帯電話', birthDate: '生年月日', gender: '性別', staffNotes: '備考',
    });
    expect(suggestMapping(['Member ID', 'Name', 'Last name', 'First name'])).toEqual({ externalId: 'Member ID', familyName: 'Last name', givenName: 'First name' });
    // A running "No." is no member's id, and an English "Name" may be given name first: neither is guessed.
    expect(suggestMapping(['No.', '会員番号', '氏名'])).toEqual({ externalId: '会員番号', fullName: '氏名' });
    expect(suggestMapping(['No.', 'Name'])).toEqual({});
  });

  it('reads dates as spreadsheets hold them', () => {
    expect(['1990/4/1', '1990-04-01', '1990年4月1日', '平成2年4月1日', 'H2.4.1', '昭和64年1月7日', '令和元年5月1日', '32964', '1990/4/1 0:00'].map(looseDate)).toEqual([
      '1990-04-01', '1990-04-01', '1990-04-01', '1990-04-01', '1990-04-01', '1989-01-07', '2019-05-01', '1990-04-01', '1990-04-01',
    ]);
    // An impossible day, a year alone, a day its era never had: left for the schema to refuse.
    const never = ['1990/2/30', 'yesterday', '12', '1990', '昭和70年1月1日', '平成31年5月1日', '昭和64年1月8日', '令和元年4月30日', '平成元年1月1日'];
    expect(never.map(looseDate)).toEqual(never);
    expect(['平成31年4月30日', '令和元年5月1日', '昭和64年1月7日', '平成元年1月8日'].map(looseDate)).toEqual(['2019-04-30', '2019-05-01', '1989-01-07', '1989-01-08']);
  });
});

describe('POST /api/members/import', () => {
  it('lists exactly the bad rows in a dry run that writes nothing, imports the rest once, and adds nobody on a rerun', async () => {
    const { file, badLines } = bigFile();
    expect(badLines).toHaveLength(50);

    const dry = await preview(T, file);
    expect(dry.statusCode, dry.body).toBe(200);
    const planned = dry.json();
    expect(planned).toMatchObject({ encoding: 'utf-8', rows: 5_000, created: 4_950, alreadyImported: 0, failedRows: 50, memberNumbers: { first: 1, last: 4_950 } });
    expect(planned.mapping).toEqual({ externalId: '会員ID', familyName: '姓', givenName: '名', familyNameKana: 'セイ', givenNameKana: 'メイ', phone: '電話番号', email: 'メールアドレス', birthDate: '生年月日' });
    expect([...new Set(planned.errors.map((e: { row: number }) => e.row))]).toEqual(badLines);
    const errorOf = (row: number) => planned.errors.find((e: { row: number }) => e.row === row);
    expect(errorOf(101)).toEqual({ row: 101, column: '会員ID', value: 'OLD-1', message: '2行目と同じIDです' });
    expect(errorOf(201)).toMatchObject({ column: 'セイ', value: 'yamada' });
    expect(errorOf(501)).toMatchObject({ column: '生年月日', value: '2090/1/1' });
    expect(errorOf(601)).toMatchObject({ column: '生年月日', value: '1990/2/30' });
    expect(await memberCount(T)).toBe(0);

    const done = await importFile(T, file);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ rows: 5_000, created: 4_950, alreadyImported: 0, failedRows: 50, memberNumbers: { first: 1, last: 4_950 } });
    expect(await memberCount(T)).toBe(4_950);
    const found = await platform.call(T, { method: 'GET', url: '/api/members', token: T.ownerToken, query: { q: '山田4999' } });
    expect(found.json().items).toMatchObject([{ familyName: '山田4999', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', phone: '09000004999', email: 'm4999@example.com', status: 'provisional' }]);

    const again = await importFile(T, file);
    expect(again.json()).toMatchObject({ created: 0, alreadyImported: 4_950, failedRows: 50, memberNumbers: null });
    expect(await memberCount(T)).toBe(4_950);
    expect(await memberCount(other)).toBe(0);
  });

  it('splits whole names, reads eras, Excel days and genders, and says each row’s problem in the reader’s language', async () => {
    const file = iconv.encode(
      [
        '会員番号,氏名,フリガナ,生年月日,性別,メール,残りチケット,有効期限',
        'A1,髙橋　一子,たかはし いちこ,平成2年4月1日,女,ichiko@example.com,５,2099/12/31',
        'A2,佐藤 次郎,サトウ ジロウ,32964,男性,,,',
        'A3,,スズキ,,,ICHIKO@example.com,,',
        'A4,田中 四郎,,,,,3,2001/1/1',
        'A5,中村 五郎,,,,,0x10,',
        'A6,小林 六郎,,,不明,,00,',
        'A7,加藤 七郎,,1990年2月30日,,,,',
      ].join('\r\n'),
      'Shift_JIS',
    );
    const res = await importFile(other, file, { language: 'en' });
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json();
    expect(result).toMatchObject({ encoding: 'shift_jis', created: 2, creditsGranted: 5, failedRows: 5 });
    expect(result.errors).toEqual([
      { row: 4, column: '氏名', value: '', message: 'Required' },
      { row: 4, column: 'メール', value: 'ICHIKO@example.com', message: 'The same email address as line 2' },
      { row: 5, column: '有効期限', value: '2001/1/1', message: 'The credits’ expiry has passed' },
      { row: 6, column: '残りチケット', value: '0x10', message: 'Write the credits as a whole number from 1 to 9,999' },
      { row: 7, column: '性別', value: '不明', message: 'Write the gender as M, F, male, female, other or unspecified (or the Japanese words)' },
      { row: 8, column: '生年月日', value: '1990年2月30日', message: 'Write the date as 1990/4/1 or 1990-04-01 (a Japanese era date such as H2.4.1 is read too)' },
    ]);
    const [ichiko] = (await platform.call(other, { method: 'GET', url: '/api/members', token: other.ownerToken, query: { q: 'タカハシ' } })).json().items;
    const detail = (await platform.call(other, { method: 'GET', url: `/api/members/${ichiko.id}`, token: other.ownerToken })).json();
    expect(detail).toMatchObject({ familyName: '髙橋', givenName: '一子', familyNameKana: 'タカハシ', givenNameKana: 'イチコ', birthDate: '1990-04-01', gender: 'female' });
    const credits = (await platform.call(other, { method: 'GET', url: `/api/members/${ichiko.id}/credits`, token: other.ownerToken })).json();
    expect(credits).toMatchObject({ available: 5, lots: [{ expiresOn: '2099-12-31' }] });
  });

  it('refuses a mapping to a column the file lacks, or no id column, and changes nothing', async () => {
    const tenant = await platform.createTenant();
    const file = csv(['名前,電話', '山田 花子,09012345678']);
    const noId = await importFile(tenant, file);
    expect(noId.statusCode).toBe(400);
    expect(noId.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(noId.json().errors).toEqual([{ location: 'body', path: 'mapping.externalId', message: expect.stringContaining('会員ID') }]);
    const both = await importFile(tenant, csv(['ID,氏名,姓', '1,山田 花子,山田']), { mapping: { externalId: 'ID', fullName: '氏名', familyName: '姓' }, language: 'en' });
    expect(both.json().errors).toEqual([{ location: 'body', path: 'mapping.fullName', message: "Choose either the whole name's column or the family and given names' columns, not both" }]);
    const wrong = await importFile(tenant, file, { mapping: { externalId: '番号', fullName: '名前' }, language: 'en' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors[0]).toMatchObject({ path: 'mapping.externalId', message: 'The file has no column “番号”' });
    const notCsv = await importFile(tenant, Buffer.from('a,"b\n1,2\n'));
    expect(notCsv.statusCode).toBe(422);
    const twice = await importFile(tenant, csv(['会員番号,氏名,氏名', '1,山田 花子,']));
    expect(twice.statusCode).toBe(400);
    expect(twice.json().errors[0]).toMatchObject({ path: 'mapping.fullName', message: 'ファイルに「氏名」という列が2つあります。どちらかの見出しを変えてください' });
    expect(await memberCount(tenant)).toBe(0);
  });

  it('does the same from the CLI: a dry run that writes nothing, then the import, with the columns named', async () => {
    const tenant = await platform.createTenant();
    const dir = await mkdtemp(path.join(tmpdir(), 'member-import-'));
    const file = path.join(dir, 'members.csv');
    await writeFile(file, iconv.encode(['旧ID,氏名,携帯', 'Z-1,山本 太郎,090-2222-3333', 'Z-2,,', 'Z-3,川口 花,'].join('\r\n'), 'Shift_JIS'));
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'members', 'import', tenant.slug, file, ...args], {
        cwd: path.resolve(import.meta.dirname, '../../..'),
        env: { ...process.env, ...TEST_ENV, ...platform.databaseEnv },
      });
    await expect(cli([])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("each member's ID in the previous system") });
    const map = ['--map', 'externalId=旧ID', 'fullName=氏名', 'phone=携帯'];
    const dry = JSON.parse((await cli([...map, '--dry-run', '--json'])).stdout);
    expect(dry).toMatchObject({ encoding: 'shift_jis', rows: 3, created: 2, failedRows: 1, errors: [{ row: 3, column: '氏名', value: '', message: 'Required' }] });
    expect(await memberCount(tenant)).toBe(0);
    const done = await cli(map);
    expect(done.stdout).toContain('3 rows (shift_jis); registered 2 (member numbers 1–2); 0 imported before, skipped; 1 with errors, left out.');
    expect(await memberCount(tenant)).toBe(2);
  });

  it('takes our own export back: a studio’s members exported and imported into another studio export the same', async () => {
    const [from, to] = [await platform.createTenant(), await platform.createTenant()];
    for (const payload of [
      { familyName: '佐藤', givenName: '美咲', familyNameKana: 'さとう', givenNameKana: 'ﾐｻｷ', phone: '090-1111-2222', email: 'misaki@example.com', tags: ['yoga', '朝'] },
      { familyName: '鈴木', givenName: '一郎, "いち"', familyNameKana: 'スズキ', tags: ['pilates'] },
      { familyName: '=HYPERLINK("x")', givenName: '太郎' },
    ]) {
      const res = await platform.call(from, { method: 'POST', url: '/api/members', token: from.ownerToken, payload });
      expect(res.statusCode, res.body).toBe(201);
    }
    const exported = async (tenant: TestTenant) => (await platform.call(tenant, { method: 'GET', url: '/api/members/export', token: tenant.ownerToken })).rawPayload;
    const file = await exported(from);
    const res = await importFile(to, file);
    expect(res.json()).toMatchObject({ created: 3, failedRows: 0, mapping: { externalId: '会員番号', familyName: '姓', tags: 'タグ' } });
    expect((await exported(to)).toString('utf8')).toBe(file.toString('utf8'));
  });
});
