import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLesson, bookingStudio, inTenant, staffApi } from '../support/booking.js';
import { runCli } from '../support/cli.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

/*
 * A known calendar in 2031 (no other test writes lessons that far out), read across tenants in two zones:
 *
 * Tokyo studio (UTC+9; window opens 7 days before at 12:00):
 *   A  06-10 07:00 JST, 15 seats, 12 booked: 12 × 225 requests over 06:00–07:15 = 0.6/s → 2 replicas
 *   B  two lessons on 06-17 (20 seats each) open 06-10 12:00 JST: 2 × 20 × 2 × 15 × 0.75 / 300 s = 3/s → 6
 * New York studio (EDT, UTC−4; window opens 2 days before at 09:00; one lesson type: 1 day before at 21:00):
 *   C  06-12 18:00 EDT, 30 seats, opens 06-10 09:00 EDT (22:00 JST): 30 × 2 × 15 × 0.75 / 300 s = 2.25/s → 5
 *   D  06-11 06:30 EDT, 10 seats, its type opens 06-10 21:00 EDT (06-11 10:00 JST): 0.75/s → 2; its attendees
 *      (5 expected × 225 over 75 min = 0.25/s) stay at the baseline of 1
 *   a cancelled lesson of 100 seats opening with C, which must not count
 * A suspended studio with a 100-seat lesson opening with B, which must not count either.
 */
const RULES = {
  slotMinutes: 15,
  requestsPerSecondPerReplica: 0.5,
  minReplicas: 1,
  maxReplicas: 8,
  headroom: 0,
  leadMinutes: 10,
  minHoldMinutes: 30,
  load: { expectedFill: 0.5, requestsPerAttendee: 225, attendeeMinutesBefore: 60, attendeeMinutesAfter: 15, openingDemand: 2, requestsPerBooker: 15, openingBurstMinutes: 5, openingBurstShare: 0.75, openingTailMinutes: 25 },
};
const PERIOD = ['--from', '2031-06-10', '--to', '2031-06-11', '--timezone', 'Asia/Tokyo'];

const EXPECTED_KEDA = `# Studiohive capacity plan 2031-06-10..2031-06-11 (Asia/Tokyo); paste under the ScaledObject's spec.
minReplicaCount: 1
maxReplicaCount: 8
triggers:
  - type: cron
    metadata:
      timezone: "Asia/Tokyo"
      start: "50 5 10 6 *"
      end: "15 7 10 6 *"
      desiredReplicas: "2"
  - type: cron
    metadata:
      timezone: "Asia/Tokyo"
      start: "50 11 10 6 *"
      end: "20 12 10 6 *"
      desiredReplicas: "6"
  - type: cron
    metadata:
      timezone: "Asia/Tokyo"
      start: "50 21 10 6 *"
      end: "20 22 10 6 *"
      desiredReplicas: "5"
  - type: cron
    metadata:
      timezone: "Asia/Tokyo"
      start: "50 9 11 6 *"
      end: "20 10 11 6 *"
      desiredReplicas: "2"
`;

const up = (at: string, n: number) => ({ ScheduledActionName: `studiohive-${at.replace(/[-:]/g, '').slice(0, 13)}Z-up-${n}`, StartTime: at, MinSize: n, MaxSize: 8, DesiredCapacity: n });
const down = (at: string) => ({ ScheduledActionName: `studiohive-${at.replace(/[-:]/g, '').slice(0, 13)}Z-down`, StartTime: at, MinSize: 1, MaxSize: 8, DesiredCapacity: 1 });
const EXPECTED_AWS = [
  up('2031-06-09T20:50:00Z', 2),
  down('2031-06-09T22:15:00Z'),
  up('2031-06-10T02:50:00Z', 6),
  down('2031-06-10T03:20:00Z'),
  up('2031-06-10T12:50:00Z', 5),
  down('2031-06-10T13:20:00Z'),
  up('2031-06-11T00:50:00Z', 2),
  down('2031-06-11T01:20:00Z'),
];

let platform: TestPlatform;
let admin: pg.Client;
let rulesFile: string;
let dir: string;

async function studioIn(timeZone: string) {
  const tenant = await platform.createTenant();
  await admin.query('update platform.tenants set timezone = $2 where id = $1', [tenant.id, timeZone]);
  platform.runtime.directory.forget(tenant);
  return tenant;
}

const lessonAt = (tenant: TestTenant, studio: Awaited<ReturnType<typeof bookingStudio>>, startsAt: string, capacity: number) =>
  addLesson(platform, tenant, studio, { startsAt: new Date(startsAt), capacity, minutes: 60 });

beforeAll(async () => {
  platform = await startTestPlatform();
  admin = await platform.admin();

  const tokyo = await studioIn('Asia/Tokyo');
  await staffApi(platform, tokyo).ok('PATCH', '/api/settings/booking', { opensDaysBefore: 7, opensAt: '12:00' });
  const t = await bookingStudio(platform, tokyo);
  const a = await lessonAt(tokyo, t, '2031-06-09T22:00:00Z', 15);
  await inTenant(platform, tokyo, (db) => db.updateTable('app.lessons').set({ booked: 12 }).where('id', '=', a).execute());
  await lessonAt(tokyo, t, '2031-06-17T10:00:00Z', 20);
  await lessonAt(tokyo, t, '2031-06-17T11:30:00Z', 20);

  const newYork = await studioIn('America/New_York');
  const ny = staffApi(platform, newYork);
  await ny.ok('PATCH', '/api/settings/booking', { opensDaysBefore: 2, opensAt: '09:00' });
  const n = await bookingStudio(platform, newYork);
  const late = await ny.ok('POST', '/api/lesson-types', { name: 'Early bird', durationMinutes: 60, bookingRules: { opensDaysBefore: 1, opensAt: '21:00' } });
  await lessonAt(newYork, n, '2031-06-12T22:00:00Z', 30);
  await lessonAt(newYork, { ...n, lessonTypeId: late.id }, '2031-06-11T10:30:00Z', 10);
  const cancelled = await lessonAt(newYork, n, '2031-06-12T22:00:00Z', 100);
  await inTenant(platform, newYork, (db) => db.updateTable('app.lessons').set({ status: 'cancelled', cancelled_at: new Date() }).where('id', '=', cancelled).execute());

  const suspended = await platform.createTenant();
  await lessonAt(suspended, await bookingStudio(platform, suspended), '2031-06-17T10:00:00Z', 100);
  await platform.runtime.tenants.suspend(suspended.id);

  dir = await mkdtemp(path.join(os.tmpdir(), 'studiohive-capacity-'));
  rulesFile = path.join(dir, 'rules.json');
  await writeFile(rulesFile, JSON.stringify(RULES));
});
afterAll(() => platform.close());

const cli = (args: string[]) => runCli(platform.databaseEnv, args);

describe('studiohive capacity plan', () => {
  it('prints the KEDA cron triggers of the known calendar', async () => {
    const run = await cli(['capacity', 'plan', ...PERIOD, '--format', 'keda', '--rules', rulesFile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(EXPECTED_KEDA);
  });

  it('prints AWS scheduled actions: a scale-up and a return to the baseline per window, in UTC', async () => {
    const run = await cli(['capacity', 'plan', ...PERIOD, '--format', 'aws', '--rules', rulesFile]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(EXPECTED_AWS);
  });

  it('prints the slots with their load and the windows as JSON', async () => {
    const run = await cli(['capacity', 'plan', ...PERIOD, '--rules', rulesFile]);
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout);
    expect(plan.period).toEqual({ from: '2031-06-10', to: '2031-06-11', timezone: 'Asia/Tokyo', start: '2031-06-09T15:00:00.000Z', end: '2031-06-11T15:00:00.000Z' });
    expect(plan.rules).toEqual(RULES);
    const slot = (start: string) => plan.slots.find((s: { start: string }) => s.start === start);
    expect(slot('2031-06-09T21:00:00Z')).toEqual({ start: '2031-06-09T21:00:00Z', end: '2031-06-09T21:15:00Z', requestsPerSecond: 0.6, replicas: 2 });
    expect(slot('2031-06-10T03:00:00Z')).toMatchObject({ requestsPerSecond: 3, replicas: 6 });
    expect(slot('2031-06-10T03:15:00Z')).toMatchObject({ requestsPerSecond: 0.2, replicas: 1 });
    expect(slot('2031-06-10T13:00:00Z')).toMatchObject({ requestsPerSecond: 2.25, replicas: 5 });
    expect(slot('2031-06-11T01:00:00Z')).toMatchObject({ requestsPerSecond: 0.75, replicas: 2 });
    expect(slot('2031-06-11T09:30:00Z')).toMatchObject({ requestsPerSecond: 0.25, replicas: 1 });
    expect(plan.windows.map((w: { startLocal: string; endLocal: string; replicas: number }) => `${w.startLocal}–${w.endLocal.slice(11)} ×${w.replicas}`)).toEqual([
      '2031-06-10 05:50–07:15 ×2',
      '2031-06-10 11:50–12:20 ×6',
      '2031-06-10 21:50–22:20 ×5',
      '2031-06-11 09:50–10:20 ×2',
    ]);
  });

  it.each([
    [['--from', '2031-06-10', '--to', '2031-06-09'], '--to: from must not be after to'],
    [['--from', '2031-06-10', '--to', '2031-09-01'], '--to: a plan covers at most 62 days'],
    [['--from', '2031-13-01', '--to', '2031-06-09'], '--from: must be a calendar date, YYYY-MM-DD'],
    [['--from', '2031-06-10', '--to', '2031-06-10', '--timezone', 'Tokyo'], '--timezone: must be an IANA time zone such as Asia/Tokyo'],
  ])('refuses a bad period %j with exit code 2', async (args, message) => {
    const run = await cli(['capacity', 'plan', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('refuses a bad rules file with exit code 2, naming the file and the field', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ minReplicas: 9, maxReplicas: 3, load: { openingDemand: -1 } }));
    const run = await cli(['capacity', 'plan', ...PERIOD, '--rules', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--rules ${bad}: load.openingDemand: `);
    const notJson = path.join(dir, 'broken.json');
    await writeFile(notJson, '{ "minReplicas": ');
    const broken = await cli(['capacity', 'plan', ...PERIOD, '--rules', notJson]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`--rules ${notJson}: it is not JSON`);
    const missing = await cli(['capacity', 'plan', ...PERIOD, '--rules', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('it cannot be read (ENOENT)');
  });
});

describe('the platform admin API', () => {
  it('answers the same schedule for the same rules', async () => {
    const body = { from: '2031-06-10', to: '2031-06-11', timezone: 'Asia/Tokyo', rules: RULES };
    const keda = await platform.platform({ method: 'POST', url: '/platform/capacity/plan', payload: { ...body, format: 'keda' } });
    expect(keda.statusCode, keda.body).toBe(200);
    expect(keda.json()).toEqual({
      format: 'keda',
      minReplicaCount: 1,
      maxReplicaCount: 8,
      triggers: [
        ['50 5 10 6 *', '15 7 10 6 *', '2'],
        ['50 11 10 6 *', '20 12 10 6 *', '6'],
        ['50 21 10 6 *', '20 22 10 6 *', '5'],
        ['50 9 11 6 *', '20 10 11 6 *', '2'],
      ].map(([start, end, desiredReplicas]) => ({ type: 'cron', metadata: { timezone: 'Asia/Tokyo', start, end, desiredReplicas } })),
    });
    const aws = await platform.platform({ method: 'POST', url: '/platform/capacity/plan', payload: { ...body, format: 'aws' } });
    expect(aws.json()).toEqual({ format: 'aws', ScheduledUpdateGroupActions: EXPECTED_AWS });
  });

  it('plans with the default rules on GET: the test calendar stays at their baseline', async () => {
    const res = await platform.platform({ method: 'GET', url: '/platform/capacity/plan?from=2031-06-10&to=2031-06-11&timezone=Asia/Tokyo' });
    expect(res.statusCode, res.body).toBe(200);
    const plan = res.json();
    expect(plan).toMatchObject({ format: 'json', rules: { minReplicas: 2, requestsPerSecondPerReplica: 40 }, windows: [] });
    // Defaults: 2 lessons × 20 seats × 1.5 bookers × 6 requests × 0.8 in 5 minutes = 0.96/s.
    expect(plan.slots.find((s: { start: string }) => s.start === '2031-06-10T03:00:00Z')).toEqual({ start: '2031-06-10T03:00:00Z', end: '2031-06-10T03:15:00Z', requestsPerSecond: 0.96, replicas: 2 });
  });

  it.each([
    ['from=2031-06-10&to=2031-06-01', 'to'],
    ['from=2031-06-01&to=2031-08-15', 'to'],
    ['from=2031-06-01', 'to'],
    ['from=2031-06-01&to=2031-06-02&format=helm', 'format'],
    ['from=2031-06-01&to=2031-06-02&timezone=Nowhere', 'timezone'],
  ])('refuses %s with a 400 problem', async (query, field) => {
    const res = await platform.platform({ method: 'GET', url: `/platform/capacity/plan?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(res.json().errors)).toContain(field);
  });

  it('refuses bad rules in the body with a 400 problem naming the field', async () => {
    const res = await platform.platform({ method: 'POST', url: '/platform/capacity/plan', payload: { from: '2031-06-10', to: '2031-06-10', rules: { slotMinutes: 7 } } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(res.json().errors)).toContain('slotMinutes');
  });

  it('needs the platform admin token', async () => {
    const res = await platform.app.inject({ method: 'GET', url: '/platform/capacity/plan?from=2031-06-10&to=2031-06-10' });
    expect(res.statusCode).toBe(401);
  });
});
