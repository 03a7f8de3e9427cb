import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { inTenantTransaction } from '../../src/platform/db/databases.js';
import type { TestPlatform, TestTenant } from './platform.js';
import { latestMail, tokenInMail } from './fixtures.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Staff calls at a tenant, each write with a fresh Idempotency-Key. */
export function staffApi(platform: TestPlatform, tenant: TestTenant) {
  const send = (method: Method, url: string, payload?: object, token = tenant.ownerToken) =>
    platform.call(tenant, { method, url, payload, token, headers: { 'idempotency-key': randomUUID() } });
  const ok = async (method: Method, url: string, payload?: object, status = method === 'POST' ? 201 : 200) => {
    const res = await send(method, url, payload);
    expect(res.statusCode, res.body).toBe(status);
    return res.json();
  };
  return { send, ok };
}

export interface BookingStudio {
  locationId: string;
  lessonTypeId: string;
  roomId: string;
  packPlanId: string;
}

/** A location, lesson type and room, and a 10-credit pack to sell. */
export async function bookingStudio(platform: TestPlatform, tenant: TestTenant): Promise<BookingStudio> {
  const { ok } = staffApi(platform, tenant);
  const location = await ok('POST', '/api/locations', { name: `Studio ${randomUUID().slice(0, 6)}` });
  const type = await ok('POST', '/api/lesson-types', { name: `Spin ${randomUUID().slice(0, 6)}`, durationMinutes: 45 });
  const pack = await ok('POST', '/api/plans', { kind: 'pack', name: `Pack ${randomUUID().slice(0, 6)}`, terms: { price: 11000, taxCategory: 'standard_10', packCredits: 10, packValidityDays: 365 } });
  const roomId = await inTenant(platform, tenant, async (db) =>
    (await db.insertInto('app.rooms').values({ location_id: location.id, name: 'Room A', capacity: 100 }).returning('id').executeTakeFirstOrThrow()).id,
  );
  return { locationId: location.id, lessonTypeId: type.id, roomId, packPlanId: pack.id };
}

export async function inTenant<T>(platform: TestPlatform, tenant: TestTenant, fn: Parameters<typeof inTenantTransaction<T>>[2]) {
  const { directory } = platform.runtime;
  return inTenantTransaction(await directory.dbFor((await directory.byId(tenant.id))!), tenant.id, fn);
}

/** A lesson of the studio's type in its room, starting at an instant. */
export async function addLesson(platform: TestPlatform, tenant: TestTenant, studio: BookingStudio, p: { startsAt: Date; capacity: number; minutes?: number }) {
  return inTenant(platform, tenant, async (db) =>
    (
      await db
        .insertInto('app.lessons')
        .values({
          lesson_type_id: studio.lessonTypeId, location_id: studio.locationId, room_id: studio.roomId, instructor_id: null,
          series_id: null, occurrence_date: null, starts_at: p.startsAt, ends_at: new Date(p.startsAt.getTime() + (p.minutes ?? 45) * 60_000), capacity: p.capacity,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id,
  );
}

/**
 * Members who each hold the studio's pack (10 credits, a year), written in one statement under the tenant's RLS:
 * the rows a desk sale leaves (status, contract, plan, credit grant). Tests about booking need many members
 * fast; the API path that sells a pack has tests of its own.
 */
export async function packMembers(platform: TestPlatform, tenant: TestTenant, studio: BookingStudio, n: number): Promise<string[]> {
  return inTenant(platform, tenant, async (db) => {
    const { rows } = await sql<{ id: string }>`
      with m as (
        insert into app.members (member_number, family_name, given_name)
        select (select coalesce(max(member_number), 0) from app.members) + i, 'Rider', 'No' || i
          from generate_series(1, ${n}::int) i
        returning id, member_number),
      e as (
        insert into app.member_status_events (member_id, to_status, effective_on, actor_kind)
        select id, 'active', current_date - 1, 'system' from m),
      c as (
        insert into app.contracts (member_id, kind, start_date, end_date)
        select id, 'pack', current_date - 1, current_date + 365 from m returning id, member_id),
      cp as (
        insert into app.contract_plans (contract_id, effective_from, plan_id, plan_version)
        select id, current_date - 1, ${studio.packPlanId}::uuid, 1 from c),
      g as (
        insert into app.credit_ledger (member_id, kind, amount, contract_id, expires_on, actor_kind)
        select member_id, 'grant', 10, id, current_date + 365, 'system' from c)
      select id from m order by member_number`.execute(db);
    return rows.map((r) => r.id);
  });
}

/** A member who signs up and confirms from the mailed link (their own session), and buys the pack. */
export async function memberWithSession(platform: TestPlatform, tenant: TestTenant, studio: BookingStudio) {
  const email = `m-${randomUUID().slice(0, 8)}@${tenant.slug}.example.com`;
  const call = (url: string, payload: object) => platform.call(tenant, { method: 'POST', url, payload });
  expect((await call('/api/member-auth/sign-up', { email, password: 'member password 1', familyName: '鈴木', givenName: '一郎', acceptedTermsVersion: '2026-04' })).statusCode).toBe(202);
  const session = (await call('/api/member-auth/confirm', { token: tokenInMail(await latestMail(platform, tenant, email, 'member_confirm_email')) })).json();
  // The pack is billed by the monthly run (with the saved card), as the billing tests of these members expect.
  await staffApi(platform, tenant).ok('POST', '/api/contracts', { memberId: session.member.id, planId: studio.packPlanId, firstInvoice: 'next_run' });
  const send = (method: Method, url: string, payload?: object, headers: Record<string, string> = {}) =>
    platform.call(tenant, { method, url, payload, token: session.token as string, headers: { 'idempotency-key': randomUUID(), ...headers } });
  return { memberId: session.member.id as string, email, token: session.token as string, send };
}
