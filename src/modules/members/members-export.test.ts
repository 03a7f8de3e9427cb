import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

let platform: TestPlatform;
let T: TestTenant;
let other: TestTenant;

const create = async (tenant: TestTenant, payload: object) => {
  const res = await platform.call(tenant, { method: 'POST', url: '/api/members', token: tenant.ownerToken, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; memberNumber: number };
};

const exportCsv = (tenant: TestTenant, query: Record<string, string> = {}, language = 'ja', token = tenant.ownerToken) =>
  platform.call(tenant, { method: 'GET', url: '/api/members/export', token, query, headers: { 'accept-language': language } });

/** The records of a CSV answer, after its byte order mark (a simple reader: these cells quote no line breaks). */
const records = (body: string) => body.replace(/^\uFEFF/, '').trimEnd().split('\r\n');

beforeAll(async () => {
  platform = await startTestPlatform();
  [T, other] = [await platform.createTenant(), await platform.createTenant()];
  await create(T, { familyName: '佐藤', givenName: '美咲', familyNameKana: 'さとう', givenNameKana: 'ﾐｻｷ', phone: '090-1111-2222', email: 'misaki@example.com', tags: ['yoga', '朝'] });
  await create(T, { familyName: '鈴木', givenName: '一郎, "いち"', familyNameKana: 'スズキ', tags: ['pilates'] });
  await create(T, { familyName: '=HYPERLINK("x")', givenName: '太郎' });
  await create(other, { familyName: '他店', givenName: '会員', tags: ['yoga'] });
});
afterAll(() => platform?.close());

describe('GET /api/members/export', () => {
  it('answers a UTF-8 CSV with a BOM, Japanese headers and kana intact, only this studio’s members', async () => {
    const res = await exportCsv(T);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const [head, ...rows] = records(res.body);
    expect(head).toBe('会員番号,姓,名,セイ,メイ,メールアドレス,電話番号,ステータス,タグ');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toBe('1,佐藤,美咲,サトウ,ミサキ,misaki@example.com,09011112222,仮登録,yoga 朝');
    // A comma and quotes stay inside their cell; a would-be formula is written as text.
    expect(rows[1]).toBe('2,鈴木,"一郎, ""いち""",スズキ,,,,仮登録,pilates');
    expect(rows[2]).toContain(`"'=HYPERLINK(""x"")",太郎`);
    expect(res.body).not.toContain('他店');
  });

  it('applies the list’s filters (tag, status, search) and speaks English when asked', async () => {
    const yoga = records((await exportCsv(T, { tag: 'yoga' }, 'en')).body);
    expect(yoga[0]).toBe('Member number,Family name,Given name,Family name (kana),Given name (kana),Email,Phone,Status,Tags');
    expect(yoga.slice(1)).toEqual(['1,佐藤,美咲,サトウ,ミサキ,misaki@example.com,09011112222,provisional,yoga 朝']);
    expect(records((await exportCsv(T, { q: 'すず' })).body).slice(1).map((r) => r.split(',')[1])).toEqual(['鈴木']);
    expect(records((await exportCsv(T, { status: 'cancelled' })).body)).toHaveLength(1);
    expect(records((await exportCsv(T, { status: 'provisional' })).body)).toHaveLength(4);
  });

  it('pages through more members than one read takes', async () => {
    const big = await platform.createTenant();
    for (let i = 0; i < 1050; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => create(big, { familyName: `会員${i + j}`, tags: i + j < 1020 ? ['a'] : ['b'] })));
    }
    const all = records((await exportCsv(big)).body);
    expect(all).toHaveLength(1051);
    expect(all.slice(1).map((r) => Number(r.split(',')[0]))).toEqual(Array.from({ length: 1050 }, (_, i) => i + 1));
    expect(records((await exportCsv(big, { tag: 'a' })).body)).toHaveLength(1021);
  });

  it('is for the staff who register members: an instructor’s key is refused', async () => {
    const key = await platform.call(T, { method: 'POST', url: '/api/api-keys', token: T.ownerToken, payload: { name: 'coach', role: 'instructor' } });
    expect((await exportCsv(T, {}, 'ja', key.json().key)).statusCode).toBe(403);
  });
});
