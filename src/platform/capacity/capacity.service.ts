import type { Runtime } from '../runtime.js';
import { readTenantCalendar } from './calendar.repo.js';
import type { CapacityRules, PlanQuery } from './capacity.schemas.js';
import { awsActions, jsonOf, kedaTriggers, periodBounds, planner, type Plan } from './planner.js';

const MINUTE = 60_000;

export interface ComputedPlan {
  query: PlanQuery;
  rules: CapacityRules;
  plan: Plan;
  tenants: number;
  lessons: number;
}

/** Reads every active tenant's calendar, one tenant at a time under its own RLS, and plans the period. */
export async function computePlan(runtime: Pick<Runtime, 'tenants' | 'directory' | 'clock' | 'composition'>, query: PlanQuery, rules: CapacityRules): Promise<ComputedPlan> {
  const period = { from: query.from, to: query.to, timeZone: query.timezone };
  const bounds = periodBounds(period);
  const range = { ...bounds, beforeMs: rules.load.attendeeMinutesBefore * MINUTE, afterMs: rules.load.attendeeMinutesAfter * MINUTE };
  const plan = planner(period, rules);
  let tenants = 0;
  let lessons = 0;
  for (const id of await runtime.tenants.liveIds()) {
    const calendar = await readTenantCalendar(runtime.directory, runtime.composition.hooks.lessonCalendar, id, range, runtime.clock.now());
    if (!calendar) continue;
    tenants++;
    for (const lesson of calendar.lessons) plan.add(lesson);
    lessons += calendar.lessons.length;
  }
  return { query, rules, plan: plan.finish(), tenants, lessons };
}

/** The plan in the operator's format (KEDA's YAML is made from the same triggers by the CLI). */
export function renderPlan({ query, rules, plan, tenants, lessons }: ComputedPlan) {
  const tz = query.timezone;
  switch (query.format) {
    case 'keda':
      return { format: 'keda' as const, minReplicaCount: rules.minReplicas, maxReplicaCount: rules.maxReplicas, triggers: kedaTriggers(plan, tz) };
    case 'aws':
      return { format: 'aws' as const, ScheduledUpdateGroupActions: awsActions(plan, rules) };
    case 'json':
      return {
        format: 'json' as const,
        period: { from: query.from, to: query.to, timezone: tz, start: new Date(plan.start).toISOString(), end: new Date(plan.end).toISOString() },
        tenants,
        lessons,
        rules: rules as unknown as Record<string, unknown>,
        ...jsonOf(plan, tz),
      };
  }
}
