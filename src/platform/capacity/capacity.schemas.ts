import { z } from 'zod';
import { outsideDateWindow, withinDateWindow } from '../dates.schemas.js';
import { addDays, isValidDate } from '../calendar.js';

/** The longest period one plan covers: the timetable's own limit, and a bounded read of every tenant. */
export const MAX_PLAN_DAYS = 62;

const positive = z.number().positive();
const fraction = z.number().min(0).max(1);
const minutes = (max: number) => z.int().min(0).max(max);

/**
 * How the calendar becomes load (expected requests per second). Every number is a coefficient an operator
 * tunes against their own access logs; the defaults are a starting point, documented in docs/operating.md
 * (Scaling schedules).
 */
export const loadModel = z
  .strictObject({
    expectedFill: fraction.default(0.8).describe('share of a lesson’s seats expected to be taken when it is not booked yet'),
    requestsPerAttendee: positive.default(10).describe('requests one attendee makes around a lesson (timetable, QR code, check-in, cancellations)'),
    attendeeMinutesBefore: minutes(24 * 60).default(60).describe('attendee requests start this long before the lesson'),
    attendeeMinutesAfter: minutes(24 * 60).default(15).describe('… and end this long after its start'),
    openingDemand: positive.default(1.5).describe('members trying to book per seat when a booking window opens'),
    requestsPerBooker: positive.default(6).describe('requests one booker makes at an opening (refreshes, booking, waitlist)'),
    openingBurstMinutes: z.int().min(1).max(60).default(5).describe('the first minutes after an opening, where the burst lands'),
    openingBurstShare: fraction.default(0.8).describe('share of opening requests made within the burst'),
    openingTailMinutes: minutes(24 * 60).default(25).describe('the rest of the opening requests spread over this long after the burst'),
  })
  .refine((m) => m.openingTailMinutes > 0 || m.openingBurstShare === 1, { message: 'openingTailMinutes must be above 0 unless openingBurstShare is 1', path: ['openingTailMinutes'] });

/** Load to replicas. A rules file holds any subset of these; the rest keep their defaults. */
export const capacityRules = z
  .strictObject({
    slotMinutes: z.int().refine((n) => [5, 10, 15, 20, 30, 60].includes(n), 'must be 5, 10, 15, 20, 30 or 60').default(15).describe('length of a time slot (a divisor of 60)'),
    requestsPerSecondPerReplica: positive.default(40).describe('what one replica serves at its target utilisation'),
    minReplicas: z.int().min(0).max(10_000).default(2).describe('the baseline: never fewer, and no window is emitted at it'),
    maxReplicas: z.int().min(1).max(10_000).default(30).describe('never more'),
    headroom: z.number().min(0).max(10).default(0.25).describe('added to the expected load before dividing (0.25 = 25% spare)'),
    leadMinutes: minutes(24 * 60).default(10).describe('scale up this long before the slot that needs it (start-up time)'),
    minHoldMinutes: minutes(24 * 60).default(30).describe('a scale-up lasts at least this long'),
    load: loadModel.prefault({}),
  })
  .refine((r) => r.minReplicas <= r.maxReplicas, { message: 'minReplicas must not be above maxReplicas', path: ['minReplicas'] });

export type CapacityRules = z.output<typeof capacityRules>;
export type LoadModel = CapacityRules['load'];
export const DEFAULT_RULES: CapacityRules = capacityRules.parse({});

export const planFormat = z.enum(['json', 'keda', 'aws']);
export type PlanFormat = z.output<typeof planFormat>;

const isoDate = z.string().refine(isValidDate, 'must be a calendar date, YYYY-MM-DD').refine(withinDateWindow, outsideDateWindow).meta({ example: '2026-04-01' });

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

const periodFields = {
  from: isoDate,
  to: isoDate,
  format: planFormat.default('json'),
  timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Asia/Tokyo').default('UTC'),
};

const bothDates = (q: { from: string; to: string }) => isValidDate(q.from) && isValidDate(q.to);

const refinePeriod = <T extends z.ZodType<{ from: string; to: string }>>(schema: T) =>
  schema
    // Field refinements do not stop these from running, so each checks the dates are dates first.
    .refine((q) => !bothDates(q) || q.from <= q.to, { message: 'from must not be after to', path: ['to'] })
    .refine((q) => !bothDates(q) || q.from > q.to || q.to < addDays(q.from, MAX_PLAN_DAYS), { message: `a plan covers at most ${MAX_PLAN_DAYS} days`, path: ['to'] });

/** The period and output; dates are local days of `timezone`, both included. */
export const planQuery = refinePeriod(z.object(periodFields));
export type PlanQuery = z.output<typeof planQuery>;

/** The same, with rules of the caller's own (any subset; the rest keep their defaults). */
export const planBody = refinePeriod(z.object({ ...periodFields, rules: capacityRules.prefault({}) }));

// Responses, one per format.
const slot = z.object({ start: z.string(), end: z.string(), requestsPerSecond: z.number(), replicas: z.int() });
const window = z.object({ start: z.string(), end: z.string(), startLocal: z.string(), endLocal: z.string(), replicas: z.int() });
export const jsonPlan = z
  .object({
    format: z.literal('json'),
    period: z.object({ from: z.string(), to: z.string(), timezone: z.string(), start: z.string(), end: z.string() }),
    tenants: z.int().describe('tenants read'),
    lessons: z.int().describe('lessons read'),
    rules: z.record(z.string(), z.unknown()),
    slots: z.array(slot).describe('slots with any load, each with its busiest minute’s rate'),
    windows: z.array(window).describe('where the plan asks for more than minReplicas'),
  })
  .meta({ id: 'CapacityPlan' });
export const kedaTrigger = z.object({
  type: z.literal('cron'),
  metadata: z.object({ timezone: z.string(), start: z.string(), end: z.string(), desiredReplicas: z.string() }),
});
export const kedaPlan = z
  .object({ format: z.literal('keda'), minReplicaCount: z.int(), maxReplicaCount: z.int(), triggers: z.array(kedaTrigger) })
  .meta({ id: 'CapacityPlanKeda' });
export const awsAction = z.object({
  ScheduledActionName: z.string(),
  StartTime: z.string(),
  MinSize: z.int(),
  MaxSize: z.int(),
  DesiredCapacity: z.int(),
});
export const awsPlan = z
  .object({ format: z.literal('aws'), ScheduledUpdateGroupActions: z.array(awsAction) })
  .meta({ id: 'CapacityPlanAws' });
export const planResponse = z.union([jsonPlan, kedaPlan, awsPlan]);
