import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

let platform: TestPlatform;
let T: TestTenant;

const create = (tenant: TestTenant, payload: object, token = tenant.ownerToken) =>
  platform.call(tenant, { method: 'POST', url: '/api/members', token, payload });
const search = async (tenant: TestTenant, query: Record<string, string>) => {
  const res = await platform.call(tenant, { method: 'GET', url: '/api/members', token: tenant.ownerToken, query });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Array<{ id: string; memberNumber: number; familyName: string }>; nextCursor: number | null };
};

beforeAll(async () => {
  platform = await startTestPlatform();
  T = await platform.createTenant();
});
afterAll(() => platform?.close());

describe('registering members', () => {
  it('numbers members per studio, from 1, without gaps even under concurrency', async () => {
    const [a, b] = [await platform.createTenant(), await platform.createTenant()];
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => create(a, { familyName: `Member ${i}` })));
    expect(created.every((r) => r.statusCode === 201)).toBe(true);
    expect(created.map((r) => r.json().memberNumber).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await create(b, { familyName: 'First' })).json().memberNumber).toBe(1);
    // A refused registration does not use up a number.
    expect((await create(a, { familyName: 'Bad', birthDate: '2999-01-01' })).statusCode).toBe(400);
    expect((await create(a, { familyName: 'Next' })).json().memberNumber).toBe(21);
  });

  it('normalises Japanese input: kana to full-width katakana, phone to digits, and records consent', async () => {
    const res = await create(T, {
      familyName: '佐藤', givenName: '美咲', familyNameKana: 'さとう', givenNameKana: 'ﾐｻｷ', phone: '０９０-１１１１-２２２２',
      email: 'Misaki@Example.com', birthDate: '1992-03-04', gender: 'female', tags: ['yoga', 'yoga', 'morning'],
      address: { postalCode: '150-0001', prefecture: '東京都', city: '渋谷区', line1: '神宮前1-1-1' },
      emergencyContact: { name: '佐藤 健', relationship: 'spouse', phone: '080 3333 4444' },
      acceptedTermsVersion: '2026-04',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      familyNameKana: 'サトウ', givenNameKana: 'ミサキ', phone: '09011112222', email: 'misaki@example.com', birthDate: '1992-03-04',
      tags: ['yoga', 'morning'], emergencyContact: { phone: '08033334444' }, termsVersion: '2026-04', billingMemberId: res.json().id,
    });
    expect(Date.now() - Date.parse(res.json().termsAcceptedAt)).toBeLessThan(60_000);
  });

  it('takes today from the studio’s clock: a birth date up to today, consent recorded at now', async () => {
    platform.runtime.clock.set(new Date('2030-01-01T00:30:00+09:00'));
    try {
      // 2029-12-31 is past in Tokyo (and on the app's clock), whatever the machine's own date.
      const born = await create(T, { familyName: '未来', birthDate: '2029-12-31', acceptedTermsVersion: '2029-12' });
      expect(born.statusCode, born.body).toBe(201);
      expect(born.json()).toMatchObject({ birthDate: '2029-12-31', termsAcceptedAt: '2029-12-31T15:30:00.000Z' });
      const tomorrow = await create(T, { familyName: '未来', birthDate: '2030-01-02' });
      expect(tomorrow.statusCode).toBe(400);
      expect(tomorrow.json().errors).toEqual([{ location: 'body', path: 'birthDate', message: '1900年1月1日(月)から今日（2030年1月1日(火)）までの日付にしてください' }]);
      const inEnglish = await platform.call(T, { method: 'POST', url: '/api/members', token: T.ownerToken, payload: { familyName: '未来', birthDate: '2030-01-02' }, headers: { 'accept-language': 'en' } });
      expect(inEnglish.json().errors).toEqual([{ location: 'body', path: 'birthDate', message: 'must fall between Mon, January 1, 1900 and Tue, January 1, 2030 (today)' }]);
      const edited = await platform.call(T, { method: 'PATCH', url: `/api/members/${born.json().id}`, token: T.ownerToken, payload: { birthDate: '2030-01-02' } });
      expect(edited.statusCode).toBe(400);
    } finally {
      platform.runtime.clock.set(null);
    }
  });

  it('refuses bad input field by field and changes nothing', async () => {
    const before = (await search(T, {})).items.length;
    const res = await create(T, { familyName: '', familyNameKana: 'Yamada', phone: 'call me', birthDate: '1800-01-01', gender: 'x', shoeSize: 27 });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['familyName', 'familyNameKana', 'phone', 'birthDate', 'gender']));
    expect(res.json().errors).toContainEqual({ location: 'body', path: 'familyNameKana', message: 'かな（ひらがな・カタカナ）で入力してください' });
    expect((await search(T, {})).items.length).toBe(before);
  });

  it('lets front desk register and edit, and instructors only look', async () => {
    const desk = await platform.call(T, {
      method: 'POST', url: '/api/api-keys', token: T.ownerToken, payload: { name: 'desk', role: 'front_desk' },
    });
    const instructor = await platform.call(T, {
      method: 'POST', url: '/api/api-keys', token: T.ownerToken, payload: { name: 'coach', role: 'instructor' },
    });
    const deskKey = desk.json().key;
    const coachKey = instructor.json().key;
    const made = await create(T, { familyName: '鈴木' }, deskKey);
    expect(made.statusCode).toBe(201);
    expect((await create(T, { familyName: '田中' }, coachKey)).statusCode).toBe(403);
    const seen = await platform.call(T, { method: 'GET', url: `/api/members/${made.json().id}`, token: coachKey });
    expect(seen.statusCode).toBe(200);
    const edited = await platform.call(T, { method: 'PATCH', url: `/api/members/${made.json().id}`, token: deskKey, payload: { staffNotes: 'knee injury', phone: null } });
    expect(edited.json()).toMatchObject({ staffNotes: 'knee injury', phone: null });
  });
});

describe('finding members', () => {
  let tenant: TestTenant;
  beforeAll(async () => {
    tenant = await platform.createTenant();
    const people = [
      { familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', phone: '09012345678', email: 'hanako@example.com', tags: ['vip'] },
      { familyName: '山本', givenName: '一郎', familyNameKana: 'ヤマモト', givenNameKana: 'イチロウ', phone: '08099998888', email: 'ichiro@example.jp' },
      { familyName: 'Smith', givenName: 'Anna', email: 'anna_smith@example.com', tags: ['vip'] },
      { familyName: '100%', givenName: 'Literal' },
    ];
    for (const p of people) expect((await create(tenant, p)).statusCode).toBe(201);
    for (let i = 0; i < 7; i += 1) await create(tenant, { familyName: `Page${i}` });
  });

  it('by prefix of name, kana (in hiragana too), member number, phone or email', async () => {
    const names = async (q: string) => (await search(tenant, { q })).items.map((m) => m.familyName).sort();
    expect(await names('山')).toEqual(['山本', '山田']);
    expect(await names('山田 花')).toEqual(['山田']);
    expect(await names('やまも')).toEqual(['山本']);
    expect(await names('ﾔﾏﾀﾞ')).toEqual(['山田']);
    expect(await names('smi')).toEqual(['Smith']);
    expect(await names('090-1234')).toEqual(['山田']);
    expect(await names('anna_')).toEqual(['Smith']);
    expect(await names('3')).toEqual(['Smith']); // member number 3
    expect(await names('%')).toEqual([]);
    expect(await names('100%')).toEqual(['100%']);
    expect((await search(tenant, { tag: 'vip' })).items.map((m) => m.familyName).sort()).toEqual(['Smith', '山田']);
  });

  it('pages with a cursor, every member once, in member-number order', async () => {
    const seen: number[] = [];
    let after: number | null = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const page: Awaited<ReturnType<typeof search>> = await search(tenant, { limit: '3', ...(after ? { after: String(after) } : {}) });
      seen.push(...page.items.map((m) => m.memberNumber));
      after = page.nextCursor;
      if (after === null) break;
    }
    expect(seen).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect((await platform.call(tenant, { method: 'GET', url: '/api/members?limit=0', token: tenant.ownerToken })).statusCode).toBe(400);
  });
});

describe('families', () => {
  it('bills the lead, lists the family on every member, and stays one level deep', async () => {
    const id = async (familyName: string) => (await create(T, { familyName })).json().id as string;
    const [mum, kid, kid2, other, otherKid] = [await id('Mum'), await id('Kid'), await id('Kid2'), await id('Other'), await id('OtherKid')];
    const link = (member: string, lead: string) =>
      platform.call(T, { method: 'PUT', url: `/api/members/${member}/family-lead`, token: T.ownerToken, payload: { leadId: lead } });

    expect((await link(kid, mum)).json()).toMatchObject({ familyLeadId: mum, billingMemberId: mum });
    await link(kid2, mum);
    const lead = await platform.call(T, { method: 'GET', url: `/api/members/${mum}`, token: T.ownerToken });
    expect(lead.json().billingMemberId).toBe(mum);
    expect(lead.json().family.map((f: { id: string }) => f.id).sort()).toEqual([kid, kid2].sort());
    const child = await platform.call(T, { method: 'GET', url: `/api/members/${kid}`, token: T.ownerToken });
    expect(child.json().family.map((f: { id: string }) => f.id)).toEqual([mum, kid2]);

    await link(otherKid, other);
    expect((await link(other, kid)).statusCode).toBe(422); // kid is not a lead
    expect((await link(other, mum)).statusCode).toBe(422); // other leads a family
    expect((await link(mum, mum)).statusCode).toBe(422);
    expect((await link(mum, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);

    const out = await platform.call(T, { method: 'DELETE', url: `/api/members/${kid}/family-lead`, token: T.ownerToken });
    expect(out.json()).toMatchObject({ familyLeadId: null, billingMemberId: kid, family: [] });
  });
});
