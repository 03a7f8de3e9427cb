import { randomUUID } from 'node:crypto';
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

/** Members who each bought the studio's pack (10 credits), made through the API a batch at a time. */
export async function packMembers(platform: TestPlatform, tenant: TestTenant, studio: BookingStudio, n: number): Promise<string[]> {
  const { ok } = staffApi(platform, tenant);
  const ids: string[] = [];
  for (let i = 0; i < n; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, n - i) }, async (_, j) => {
        const m = await ok('POST', '/api/members', { familyName: 'Rider', givenName: `No${i + j}` });
        await ok('POST', '/api/contracts', { memberId: m.id, planId: studio.packPlanId });
        return m.id as string;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

/** A member who signs up and confirms from the mailed link (their own session), and buys the pack. */
export async function memberWithSession(platform: TestPlatform, tenant: TestTenant, studio: BookingStudio) {
  const email = `m-${randomUUID().slice(0, 8)}@${tenant.slug}.example.com`;
  const call = (url: string, payload: object) => platform.call(tenant, { method: 'POST', url, payload });
  expect((await call('/api/member-auth/sign-up', { email, password: 'member password 1', familyName: '鈴木', givenName: '一郎', acceptedTermsVersion: '2026-04' })).statusCode).toBe(202);
  const session = (await call('/api/member-auth/confirm', { token: tokenInMail(await latestMail(platform, tenant, email, 'member_confirm_email')) })).json();
  await staffApi(platform, tenant).ok('POST', '/api/contracts', { memberId: session.member.id, planId: studio.packPlanId });
  const send = (method: Method, url: string, payload?: object) =>
    platform.call(tenant, { method, url, payload, token: session.token as string, headers: { 'idempotency-key': randomUUID() } });
  return { memberId: session.member.id as string, email, token: session.token as string, send };
}
