import { describe, expect, it } from 'vitest';
import { capacityRules, DEFAULT_RULES, planBody, planQuery } from './capacity.schemas.js';
import { awsActions, cronAt, jsonOf, kedaTriggers, kedaYaml, planCapacity, replicasFor, type CalendarLesson } from './planner.js';

const at = (iso: string) => Date.parse(iso);
const FAR_PAST = at('2000-01-01T00:00:00Z');
const day = { from: '2031-06-10', to: '2031-06-10', timeZone: 'UTC' };

// Round numbers: 20 seats × 1.5 bookers × 10 requests = 300 opening requests, 240 in the first 5 minutes (0.8/s)
// and 60 over the next 25 (0.04/s); 4 replicas at 0.25/s each with 25% headroom.
const rules = capacityRules.parse({
  requestsPerSecondPerReplica: 0.25,
  minReplicas: 1,
  maxReplicas: 10,
  headroom: 0.25,
  leadMinutes: 10,
  minHoldMinutes: 30,
  load: { expectedFill: 0.5, requestsPerAttendee: 60, attendeeMinutesBefore: 15, attendeeMinutesAfter: 0, openingDemand: 1.5, requestsPerBooker: 10, openingBurstMinutes: 5, openingBurstShare: 0.8, openingTailMinutes: 25 },
});

/** A lesson whose own start is far from the period, so only its opening counts. */
const opening = (opensAt: string, capacity = 20): CalendarLesson => ({ startsAt: at('2031-12-01T00:00:00Z'), capacity, booked: 0, opensAt: at(opensAt) });
/** A lesson whose opening is long past, so only its attendees count. */
const lesson = (startsAt: string, capacity: number, booked = 0): CalendarLesson => ({ startsAt: at(startsAt), capacity, booked, opensAt: FAR_PAST });

describe('capacity planner', () => {
  it('puts an opening burst into its first minutes and takes the busiest minute as the slot load', () => {
    const plan = planCapacity([opening('2031-06-10T12:00:00Z')], day, rules);
    expect(jsonOf(plan, 'UTC').slots).toEqual([
      { start: '2031-06-10T12:00:00Z', end: '2031-06-10T12:15:00Z', requestsPerSecond: 0.8, replicas: 4 },
      { start: '2031-06-10T12:15:00Z', end: '2031-06-10T12:30:00Z', requestsPerSecond: 0.04, replicas: 1 },
    ]);
    // Ten minutes early, held for thirty; the 12:15 slot needs no more than the baseline.
    expect(plan.windows).toEqual([{ start: at('2031-06-10T11:50:00Z'), end: at('2031-06-10T12:20:00Z'), replicas: 4 }]);
  });

  it('counts attendees as the booked seats or the expected fill, whichever is more, before the start', () => {
    // 10 seats half full → 5 attendees × 60 requests over 15 minutes = 1/3 per second; 12 booked → 0.8 per second.
    const plan = planCapacity([lesson('2031-06-10T09:00:00Z', 10), lesson('2031-06-10T18:00:00Z', 20, 12)], day, rules);
    expect(jsonOf(plan, 'UTC').slots).toEqual([
      { start: '2031-06-10T08:45:00Z', end: '2031-06-10T09:00:00Z', requestsPerSecond: 0.33, replicas: 2 },
      { start: '2031-06-10T17:45:00Z', end: '2031-06-10T18:00:00Z', requestsPerSecond: 0.8, replicas: 4 },
    ]);
    expect(plan.windows).toEqual([
      { start: at('2031-06-10T08:35:00Z'), end: at('2031-06-10T09:05:00Z'), replicas: 2 },
      { start: at('2031-06-10T17:35:00Z'), end: at('2031-06-10T18:05:00Z'), replicas: 4 },
    ]);
  });

  it('adds up load that lands together and clamps to maxReplicas', () => {
    const plan = planCapacity([opening('2031-06-10T12:00:00Z'), opening('2031-06-10T12:00:00Z'), opening('2031-06-10T12:00:00Z', 40)], day, rules);
    expect(plan.slots.find((s) => s.start === at('2031-06-10T12:00:00Z'))).toMatchObject({ requestsPerSecond: expect.closeTo(3.2, 9), replicas: 10 });
  });

  it('merges neighbouring slots with one count and lets the larger count win where stretched windows overlap', () => {
    // Whole bursts (1/s, 5 replicas) at 12:00 and 12:15: one run 12:00–12:30. An attendee peak of 0.4/s
    // (2 replicas) in 12:30–12:45, stretched back to 12:20, overlaps it: the 5 wins until 12:30, then 2 until 12:50.
    const burstOnly = capacityRules.parse({ ...rules, load: { ...rules.load, openingBurstShare: 1, openingTailMinutes: 0 } });
    const plan = planCapacity([opening('2031-06-10T12:00:00Z'), opening('2031-06-10T12:15:00Z'), lesson('2031-06-10T12:45:00Z', 12, 6)], day, burstOnly);
    expect(plan.slots.filter((s) => s.replicas > 1).map((s) => [new Date(s.start).toISOString().slice(11, 16), s.replicas])).toEqual([
      ['12:00', 5],
      ['12:15', 5],
      ['12:30', 2],
    ]);
    expect(plan.windows).toEqual([
      { start: at('2031-06-10T11:50:00Z'), end: at('2031-06-10T12:30:00Z'), replicas: 5 },
      { start: at('2031-06-10T12:30:00Z'), end: at('2031-06-10T12:50:00Z'), replicas: 2 },
    ]);
    // Back to back: no return to the baseline between them, which would race the next scale-up.
    expect(awsActions(plan, burstOnly)).toEqual([
      { ScheduledActionName: 'studiohive-20310610T1150Z-up-5', StartTime: '2031-06-10T11:50:00Z', MinSize: 5, MaxSize: 10, DesiredCapacity: 5 },
      { ScheduledActionName: 'studiohive-20310610T1230Z-up-2', StartTime: '2031-06-10T12:30:00Z', MinSize: 2, MaxSize: 10, DesiredCapacity: 2 },
      { ScheduledActionName: 'studiohive-20310610T1250Z-down', StartTime: '2031-06-10T12:50:00Z', MinSize: 1, MaxSize: 10, DesiredCapacity: 1 },
    ]);
    expect(kedaTriggers(plan, 'Asia/Tokyo')).toEqual([
      { type: 'cron', metadata: { timezone: 'Asia/Tokyo', start: '50 20 10 6 *', end: '30 21 10 6 *', desiredReplicas: '5' } },
      { type: 'cron', metadata: { timezone: 'Asia/Tokyo', start: '30 21 10 6 *', end: '50 21 10 6 *', desiredReplicas: '2' } },
    ]);
  });

  it('emits nothing at or below the baseline, and nothing outside the period', () => {
    expect(planCapacity([opening('2031-06-10T12:00:00Z', 1)], day, rules).windows).toEqual([]);
    expect(planCapacity([opening('2031-06-11T00:00:00Z'), opening('2031-06-09T23:30:00Z')], day, rules).windows).toEqual([]);
    const empty = planCapacity([], day, rules);
    expect(kedaYaml(empty, day, rules)).toContain('triggers: []');
    expect(awsActions(empty, rules)).toEqual([]);
  });

  it('lays slots out from local midnight of the chosen zone, DST days included', () => {
    // New York springs forward on 2031-03-09: a 23-hour day, 92 slots of 15 minutes.
    const plan = planCapacity([], { from: '2031-03-09', to: '2031-03-09', timeZone: 'America/New_York' }, rules);
    expect(plan.slots).toHaveLength(92);
    expect(new Date(plan.slots[0]!.start).toISOString()).toBe('2031-03-09T05:00:00.000Z');
    expect(new Date(plan.slots.at(-1)!.end).toISOString()).toBe('2031-03-10T04:00:00.000Z');
    expect(cronAt(at('2031-03-09T07:05:00Z'), 'America/New_York')).toBe('5 3 9 3 *');
    expect(cronAt(at('2031-03-08T23:30:00Z'), 'Asia/Tokyo')).toBe('30 8 9 3 *');
  });

  it('does not add a replica for floating-point noise', () => {
    const exact = { ...rules, headroom: 0, requestsPerSecondPerReplica: 0.1 };
    expect(replicasFor(0.1 + 0.2, exact)).toBe(3);
    expect(replicasFor(0.30001, exact)).toBe(4);
    expect(replicasFor(1000, exact)).toBe(10);
    expect(replicasFor(0, exact)).toBe(1);
  });

  it('renders KEDA triggers as YAML with string values', () => {
    const plan = planCapacity([opening('2031-06-10T12:00:00Z')], day, rules);
    expect(kedaYaml(plan, day, rules)).toBe(
      [
        '# Studiohive capacity plan 2031-06-10..2031-06-10 (UTC); paste under the ScaledObject\'s spec.',
        'minReplicaCount: 1',
        'maxReplicaCount: 10',
        'triggers:',
        '  - type: cron',
        '    metadata:',
        '      timezone: "UTC"',
        '      start: "50 11 10 6 *"',
        '      end: "20 12 10 6 *"',
        '      desiredReplicas: "4"',
        '',
      ].join('\n'),
    );
  });
});

describe('capacity rules and period', () => {
  it('fills a partial rules file with the documented defaults', () => {
    const partial = capacityRules.parse({ minReplicas: 3, load: { requestsPerBooker: 9 } });
    expect(partial).toEqual({ ...DEFAULT_RULES, minReplicas: 3, load: { ...DEFAULT_RULES.load, requestsPerBooker: 9 } });
    expect(DEFAULT_RULES).toEqual({
      slotMinutes: 15,
      requestsPerSecondPerReplica: 40,
      minReplicas: 2,
      maxReplicas: 30,
      headroom: 0.25,
      leadMinutes: 10,
      minHoldMinutes: 30,
      load: { expectedFill: 0.8, requestsPerAttendee: 10, attendeeMinutesBefore: 60, attendeeMinutesAfter: 15, openingDemand: 1.5, requestsPerBooker: 6, openingBurstMinutes: 5, openingBurstShare: 0.8, openingTailMinutes: 25 },
    });
  });

  it.each([
    [{ slotMinutes: 7 }, 'slotMinutes'],
    [{ minReplicas: 5, maxReplicas: 4 }, 'minReplicas'],
    [{ headroom: -1 }, 'headroom'],
    [{ load: { openingBurstShare: 1.5 } }, 'load.openingBurstShare'],
    [{ replicas: 3 }, ''],
  ])('refuses rules %j', (raw, path) => {
    const result = capacityRules.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('refuses bad periods', () => {
    expect(planQuery.safeParse({ from: '2031-06-10', to: '2031-06-09' }).error?.issues[0]?.message).toBe('from must not be after to');
    expect(planQuery.safeParse({ from: '2031-06-01', to: '2031-08-02' }).error?.issues[0]?.message).toBe('a plan covers at most 62 days');
    expect(planQuery.safeParse({ from: '2031-06-01', to: '2031-08-01' }).success).toBe(true);
    expect(planQuery.safeParse({ from: '2031-02-30', to: '2031-03-01' }).success).toBe(false);
    expect(planQuery.safeParse({ from: '2031-06-01', to: '2031-06-01', timezone: 'Mars/Olympus' }).success).toBe(false);
    expect(planBody.safeParse({ from: '2031-06-10', to: '2031-06-09' }).success).toBe(false);
  });
});
