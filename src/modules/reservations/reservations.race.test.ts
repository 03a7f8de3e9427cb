import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { addLesson, bookingStudio, packMembers, staffApi, type BookingStudio } from '../../../test/support/booking.js';

let platform: TestPlatform;
let tenant: TestTenant;
let studio: BookingStudio;
let admin: pg.Client;

beforeAll(async () => {
  platform = await startTestPlatform({ DB_POOL_MAX: '20', ADMISSION_WAIT_MS: '60000' });
  tenant = await platform.createTenant();
  studio = await bookingStudio(platform, tenant);
  admin = await platform.admin();
}, 120_000);
afterAll(() => platform?.close());

describe('the opening-minute race', () => {
  it('gives 500 concurrent attempts on 20 seats exactly 20 reservations, each credit consumed once', async () => {
    const members = await packMembers(platform, tenant, studio, 500);
    const lessonId = await addLesson(platform, tenant, studio, { startsAt: new Date(Date.now() + 3 * 86_400_000), capacity: 20 });
    const { send } = staffApi(platform, tenant);
    // Every other member asks to join the waitlist when the lesson is full; all 500 are in flight at once.
    const answers = await Promise.all(
      members.map((memberId, i) => send('POST', `/api/lessons/${lessonId}/reservations`, { memberId, joinWaitlist: i % 2 === 0 })),
    );
    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.statusCode, (byStatus.get(a.statusCode) ?? 0) + 1);
    expect([...byStatus.keys()].sort()).toEqual([201, 409]);
    const outcome = (i: number) => (answers[i]!.statusCode === 201 ? (answers[i]!.json().outcome as string) : answers[i]!.json().reason);
    const all = members.map((_, i) => outcome(i));
    expect(all.filter((o) => o === 'booked')).toHaveLength(20);
    // Those who asked for the waitlist were booked or waitlisted; the others booked or were refused as full.
    expect(all.filter((o, i) => i % 2 === 0 && o !== 'booked').every((o) => o === 'waitlisted')).toBe(true);
    expect(all.filter((o, i) => i % 2 === 1 && o !== 'booked').every((o) => o === 'full')).toBe(true);
    const waitlisted = all.filter((o) => o === 'waitlisted').length;

    const seats = await admin.query(`select booked, held, capacity from app.lessons where id = $1`, [lessonId]);
    expect(seats.rows[0]).toEqual({ booked: 20, held: 0, capacity: 20 });
    const reservations = await admin.query(`select id, member_id from app.reservations where lesson_id = $1 and status = 'booked'`, [lessonId]);
    expect(reservations.rows).toHaveLength(20);
    // Each reservation consumed exactly one credit, and nobody else lost one.
    const consumed = await admin.query(
      `select reference_id, sum(amount)::int as n, count(distinct member_id)::int as members from app.credit_ledger
        where tenant_id = $1 and kind = 'consume' group by reference_id`,
      [tenant.id],
    );
    expect(consumed.rows).toHaveLength(20);
    expect(new Set(consumed.rows.map((r) => r.reference_id))).toEqual(new Set(reservations.rows.map((r) => r.id)));
    expect(consumed.rows.every((r) => r.n === -1 && r.members === 1)).toBe(true);
    const waitlist = await admin.query(`select count(*)::int as n from app.waitlist_entries where lesson_id = $1 and status = 'waiting'`, [lessonId]);
    expect(waitlist.rows[0].n).toBe(waitlisted);
    expect(waitlisted).toBeGreaterThan(200);
  }, 300_000);
});
