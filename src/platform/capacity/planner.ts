import { addDays, localParts, zonedInstant } from '../calendar.js';
import type { CapacityRules, LoadModel } from './capacity.schemas.js';

/** One lesson as the planner sees it: instants as epoch milliseconds, already out of the studio's zone. */
export interface CalendarLesson {
  startsAt: number;
  capacity: number;
  booked: number;
  /** When its booking window opens (the studio's "N days before at HH:MM", made an instant). */
  opensAt: number;
}

export interface Period {
  from: string;
  to: string;
  timeZone: string;
}

export interface Slot {
  start: number;
  end: number;
  requestsPerSecond: number;
  replicas: number;
}

export interface ScaleWindow {
  start: number;
  end: number;
  replicas: number;
}

export interface Plan {
  start: number;
  end: number;
  slots: Slot[];
  windows: ScaleWindow[];
}

const MINUTE = 60_000;

/** The instants a period of local days covers: from the first day's midnight to the midnight after the last. */
export function periodBounds(period: Period): { start: number; end: number } {
  return {
    start: zonedInstant(period.from, '00:00', period.timeZone).getTime(),
    end: zonedInstant(addDays(period.to, 1), '00:00', period.timeZone).getTime(),
  };
}

/**
 * Requests per second, minute by minute over the period. Each contribution is a number of requests spread evenly
 * over an interval; what falls outside the period is dropped.
 */
class RateTimeline {
  readonly rate: Float64Array;
  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    this.rate = new Float64Array(Math.ceil((end - start) / MINUTE));
  }

  spread(from: number, to: number, requests: number) {
    if (to <= from || requests <= 0) return;
    const perMs = requests / (to - from);
    const a = Math.max(from, this.start);
    const b = Math.min(to, this.end);
    for (let m = Math.floor((a - this.start) / MINUTE); m * MINUTE + this.start < b; m++) {
      const mStart = this.start + m * MINUTE;
      const overlap = Math.min(b, mStart + MINUTE) - Math.max(a, mStart);
      // Requests in this minute over its 60 seconds: the minute's average rate.
      this.rate[m]! += (perMs * overlap) / 60;
    }
  }
}

/** The load one lesson brings: its attendees around the start, and the rush when its booking window opens. */
function addLesson(t: RateTimeline, lesson: CalendarLesson, m: LoadModel) {
  const attendees = Math.max(lesson.booked, lesson.capacity * m.expectedFill);
  t.spread(lesson.startsAt - m.attendeeMinutesBefore * MINUTE, lesson.startsAt + m.attendeeMinutesAfter * MINUTE, attendees * m.requestsPerAttendee);
  const opening = lesson.capacity * m.openingDemand * m.requestsPerBooker;
  const burstEnd = lesson.opensAt + m.openingBurstMinutes * MINUTE;
  t.spread(lesson.opensAt, burstEnd, opening * m.openingBurstShare);
  t.spread(burstEnd, burstEnd + m.openingTailMinutes * MINUTE, opening * (1 - m.openingBurstShare));
}

// Load that needs exactly n replicas must not round up to n + 1 through floating-point noise.
const EPSILON = 1e-9;

export function replicasFor(requestsPerSecond: number, rules: CapacityRules): number {
  const needed = Math.ceil((requestsPerSecond * (1 + rules.headroom)) / rules.requestsPerSecondPerReplica - EPSILON);
  return Math.min(rules.maxReplicas, Math.max(rules.minReplicas, needed));
}

/** Slots of the period, each with the rate of its busiest minute: a 5-minute burst is not averaged away. */
function slotsOf(t: RateTimeline, rules: CapacityRules): Slot[] {
  const slots: Slot[] = [];
  for (let s = t.start; s < t.end; s += rules.slotMinutes * MINUTE) {
    const end = Math.min(t.end, s + rules.slotMinutes * MINUTE);
    let peak = 0;
    for (let m = (s - t.start) / MINUTE; m < (end - t.start) / MINUTE; m++) peak = Math.max(peak, t.rate[m]!);
    slots.push({ start: s, end, requestsPerSecond: peak, replicas: replicasFor(peak, rules) });
  }
  return slots;
}

/** Runs of neighbouring items with the same replica count above the baseline, as [start, end) windows. */
function runsAbove<T extends { start: number; end: number; replicas: number }>(items: T[], baseline: number): ScaleWindow[] {
  const runs: ScaleWindow[] = [];
  for (const item of items) {
    if (item.replicas <= baseline) continue;
    const last = runs.at(-1);
    if (last && last.end === item.start && last.replicas === item.replicas) last.end = item.end;
    else runs.push({ start: item.start, end: item.end, replicas: item.replicas });
  }
  return runs;
}

/**
 * Scale-up windows from the slots: each run of slots with the same count starts leadMinutes early and lasts at
 * least minHoldMinutes; where the stretched windows overlap the larger count wins, so the result is one step
 * function without overlaps (scheduled actions applied in order must not undo each other).
 */
function windowsOf(slots: Slot[], rules: CapacityRules): ScaleWindow[] {
  const stretched = runsAbove(slots, rules.minReplicas).map((w) => {
    const start = w.start - rules.leadMinutes * MINUTE;
    return { start, end: Math.max(w.end, start + rules.minHoldMinutes * MINUTE), replicas: w.replicas };
  });
  if (stretched.length === 0) return [];
  const origin = stretched[0]!.start;
  const span = Math.max(...stretched.map((w) => w.end)) - origin;
  const desired = new Int32Array(span / MINUTE).fill(rules.minReplicas);
  for (const w of stretched) {
    for (let m = (w.start - origin) / MINUTE; m < (w.end - origin) / MINUTE; m++) desired[m] = Math.max(desired[m]!, w.replicas);
  }
  const minutes = Array.from(desired, (replicas, m) => ({ start: origin + m * MINUTE, end: origin + (m + 1) * MINUTE, replicas }));
  return runsAbove(minutes, rules.minReplicas);
}

/**
 * A plan built lesson by lesson, so reading thousands of tenants never holds their lessons at once: add each,
 * then finish for the slots and windows.
 */
export function planner(period: Period, rules: CapacityRules) {
  const { start, end } = periodBounds(period);
  const timeline = new RateTimeline(start, end);
  return {
    add: (lesson: CalendarLesson) => addLesson(timeline, lesson, rules.load),
    finish(): Plan {
      const slots = slotsOf(timeline, rules);
      return { start, end, slots, windows: windowsOf(slots, rules) };
    },
  };
}

/** The whole plan: load per slot from every lesson and opening, then the windows above the baseline. */
export function planCapacity(lessons: Iterable<CalendarLesson>, period: Period, rules: CapacityRules): Plan {
  const p = planner(period, rules);
  for (const lesson of lessons) p.add(lesson);
  return p.finish();
}

// Output formats.

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const localStamp = (ms: number, timeZone: string) => {
  const p = localParts(new Date(ms), timeZone);
  return `${p.date} ${p.time}`;
};

/**
 * A five-field cron for one instant in a zone: minute, hour, day of month, month, any weekday. KEDA's cron has
 * no year field, so the expression recurs on that date a year later; plans are regenerated each period.
 */
export function cronAt(ms: number, timeZone: string): string {
  const p = localParts(new Date(ms), timeZone);
  const [, month, day] = p.date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = p.time.split(':').map(Number) as [number, number];
  return `${minute} ${hour} ${day} ${month} *`;
}

export function kedaTriggers(plan: Plan, timeZone: string) {
  return plan.windows.map((w) => ({
    type: 'cron' as const,
    metadata: { timezone: timeZone, start: cronAt(w.start, timeZone), end: cronAt(w.end, timeZone), desiredReplicas: String(w.replicas) },
  }));
}

/** The triggers as the YAML an operator pastes under a ScaledObject's spec. */
export function kedaYaml(plan: Plan, period: Period, rules: CapacityRules): string {
  const q = JSON.stringify;
  const lines = [
    `# Studiohive capacity plan ${period.from}..${period.to} (${period.timeZone}); paste under the ScaledObject's spec.`,
    `minReplicaCount: ${rules.minReplicas}`,
    `maxReplicaCount: ${rules.maxReplicas}`,
  ];
  const triggers = kedaTriggers(plan, period.timeZone);
  if (triggers.length === 0) return [...lines, 'triggers: []', ''].join('\n');
  lines.push('triggers:');
  for (const t of triggers) {
    lines.push(
      '  - type: cron',
      '    metadata:',
      `      timezone: ${q(t.metadata.timezone)}`,
      `      start: ${q(t.metadata.start)}`,
      `      end: ${q(t.metadata.end)}`,
      `      desiredReplicas: ${q(t.metadata.desiredReplicas)}`,
    );
  }
  return [...lines, ''].join('\n');
}

const actionStamp = (ms: number) => isoSeconds(ms).replace(/[-:]/g, '').slice(0, 13);

/**
 * One-time scheduled actions (StartTime, no Recurrence) for `aws autoscaling batch-put-scheduled-update-group-action
 * --scheduled-update-group-actions`: a scale-up at each window's start (MinSize raised too, so dynamic scaling
 * cannot take the group below the plan) and a return to the baseline at its end, unless the next window starts
 * at that very minute (two actions at one time would run in no defined order).
 */
export function awsActions(plan: Plan, rules: CapacityRules) {
  const actions: Array<{ ScheduledActionName: string; StartTime: string; MinSize: number; MaxSize: number; DesiredCapacity: number }> = [];
  plan.windows.forEach((w, i) => {
    actions.push({ ScheduledActionName: `studiohive-${actionStamp(w.start)}Z-up-${w.replicas}`, StartTime: isoSeconds(w.start), MinSize: w.replicas, MaxSize: rules.maxReplicas, DesiredCapacity: w.replicas });
    if (plan.windows[i + 1]?.start === w.end) return;
    actions.push({ ScheduledActionName: `studiohive-${actionStamp(w.end)}Z-down`, StartTime: isoSeconds(w.end), MinSize: rules.minReplicas, MaxSize: rules.maxReplicas, DesiredCapacity: rules.minReplicas });
  });
  return actions;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The plan as plain JSON: slots with any load, and the windows with their local times too. */
export function jsonOf(plan: Plan, timeZone: string) {
  return {
    slots: plan.slots
      .filter((s) => s.requestsPerSecond > 0)
      .map((s) => ({ start: isoSeconds(s.start), end: isoSeconds(s.end), requestsPerSecond: round(s.requestsPerSecond), replicas: s.replicas })),
    windows: plan.windows.map((w) => ({
      start: isoSeconds(w.start),
      end: isoSeconds(w.end),
      startLocal: localStamp(w.start, timeZone),
      endLocal: localStamp(w.end, timeZone),
      replicas: w.replicas,
    })),
  };
}
