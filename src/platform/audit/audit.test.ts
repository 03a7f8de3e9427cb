import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { inTenantTransaction } from '../db/databases.js';

let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, payload?: object, opts: { token?: string; requestId?: string } = {}) =>
  platform.call(tenant, {
    method, url, payload, token: opts.token ?? tenant.ownerToken,
    headers: { 'idempotency-key': randomUUID(), 'accept-language': 'en', 'x-request-id': opts.requestId ?? randomUUID() },
  });

async function ok(res: Awaited<ReturnType<typeof call>>, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
}

type Entry = { requestId: string; outcome: string; status: number; problemCode: string | null; route: string; method: string; params: Record<string, string>; changes: { before: Record<string, unknown>; after: Record<string, unknown> } | null; actor: { name: string; kind: string } };
const entryFor = async (requestId: string): Promise<Entry | undefined> =>
  ((await ok(await call('GET', '/api/audit-log?limit=200'), 200)).items as Entry[]).find((e) => e.requestId === requestId);

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  admin = await platform.admin();
});
afterAll(() => platform.close());

describe('the audit log', () => {
  it('records a member profile edit with the changed fields before and after, and who made it', async () => {
    const member = await ok(await call('POST', '/api/members', { familyName: '佐藤', givenName: '花子', phone: '080-0000-1111' }), 201);
    await ok(await call('PATCH', `/api/members/${member.id}`, { phone: '090-2222-3333' }, { requestId: 'audit-member-edit' }), 200);
    const entry = await entryFor('audit-member-edit');
    expect(entry).toMatchObject({ outcome: 'done', status: 200, method: 'PATCH', route: '/api/members/:memberId', params: { memberId: member.id }, actor: { name: 'Owner', kind: 'staff' } });
    // Only the field that changed, as stored (phone numbers are kept as digits).
    expect(entry!.changes).toEqual({ before: { phone: '08000001111' }, after: { phone: '09022223333' } });
    // The target filter finds it by the member's id.
    const byTarget = await ok(await call('GET', `/api/audit-log?targetId=${member.id}`), 200);
    expect(byTarget.items.map((e: Entry) => e.requestId)).toContain('audit-member-edit');
  });

  it('records a billing settings change with the Stripe key redacted', async () => {
    const key = 'sk_test_abcdefghijklmnop';
    await ok(await call('PATCH', '/api/settings/billing', { paymentTermsDays: 14 }), 200);
    await ok(await call('PATCH', '/api/settings/billing', { paymentTermsDays: 21, stripeSecretKey: key }, { requestId: 'audit-billing' }), 200);
    const entry = await entryFor('audit-billing');
    expect(entry?.changes).toEqual({
      before: { payment_terms_days: 14, stripe_secret_key: null },
      after: { payment_terms_days: 21, stripe_secret_key: '[redacted]' },
    });
    const stored = await admin.query(`select changes::text as c from app.audit_log where tenant_id = $1 and request_id = 'audit-billing'`, [tenant.id]);
    expect(stored.rows[0].c).not.toContain(key);
    // Nor does the CSV export carry it.
    const csv = await call('GET', '/api/audit-log/export');
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('audit-billing');
    expect(csv.body).not.toContain(key);
  });

  it('records a refused write with its status and problem code, even one refused before its handler ran', async () => {
    expect((await call('PATCH', `/api/members/${randomUUID()}`, { phone: '090-1111-2222' }, { requestId: 'audit-404' })).statusCode).toBe(404);
    expect((await call('POST', '/api/members', { familyName: '' }, { requestId: 'audit-400' })).statusCode).toBe(400);
    expect(await entryFor('audit-404')).toMatchObject({ outcome: 'refused', status: 404, problemCode: 'not_found', changes: null });
    expect(await entryFor('audit-400')).toMatchObject({ outcome: 'refused', status: 400, problemCode: 'validation_failed' });
    const refused = await ok(await call('GET', '/api/audit-log?outcome=refused'), 200);
    expect(refused.items.every((e: Entry) => e.outcome === 'refused')).toBe(true);
  });

  it('is for owners only, and its rows cannot be changed or removed by the app', async () => {
    const desk = await ok(await call('POST', '/api/api-keys', { name: 'front desk tablet', role: 'front_desk' }), 201);
    expect((await call('GET', '/api/audit-log', undefined, { token: desk.key })).statusCode).toBe(403);
    expect((await call('GET', '/api/audit-log/export', undefined, { token: desk.key })).statusCode).toBe(403);

    const row = await platform.runtime.directory.byId(tenant.id);
    const db = await platform.runtime.directory.dbFor(row!);
    await expect(inTenantTransaction(db, tenant.id, (trx) => sql`update app.audit_log set actor_name = 'someone else'`.execute(trx))).rejects.toThrow(/permission denied/);
    await expect(inTenantTransaction(db, tenant.id, (trx) => sql`delete from app.audit_log`.execute(trx))).rejects.toThrow(/append-only/);
    await expect(inTenantTransaction(db, tenant.id, (trx) => sql`truncate app.audit_log`.execute(trx))).rejects.toThrow(/permission denied/);
    expect((await admin.query(`select count(*)::int as n from app.audit_log where tenant_id = $1`, [tenant.id])).rows[0].n).toBeGreaterThan(3);
  });

  it('never shows another studio’s rows', async () => {
    const other = await platform.createTenant();
    const theirs = await platform.call(other, { method: 'POST', url: '/api/members', payload: { familyName: '田中' }, token: other.ownerToken, headers: { 'x-request-id': 'audit-other-studio' } });
    expect(theirs.statusCode).toBe(201);
    expect(await entryFor('audit-other-studio')).toBeUndefined();
  });
});
