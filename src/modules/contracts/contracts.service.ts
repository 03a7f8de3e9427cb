import { AppError, notFound } from '../../platform/errors.js';
import { day, render, studioLocale, text, type Text } from '../../platform/i18n.js';
import type { Tx } from '../../platform/db/databases.js';
import { addDays, addMonths, firstDay, isValidDate, lastDay, monthOf, tenantToday, type IsoDate, type IsoMonth } from '../../platform/calendar.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import { membersRepo } from '../members/members.repo.js';
import { billingMemberId } from '../members/members.service.js';
import { projectedStatus, statusService } from '../members/status.service.js';
import { statusRepo } from '../members/status.repo.js';
import { actingMemberId } from '../members/acting-member.js';
import { creditsService } from '../credits/credits.service.js';
import { plansRepo, type PlanRow, type PlanVersionRow } from '../plans/plans.repo.js';
import { chargeTermsOf, type ChargedVersion } from '../plans/plans.service.js';
import { membershipRules } from '../settings/settings.service.js';
import { settingsRepo } from '../settings/settings.repo.js';
import {
  chargedOn,
  chargesForPeriods,
  earliestChangeMonth,
  taxSummary,
  type ContractTimeline,
  type MembershipRules,
} from './charges.js';
import { contractsRepo, type ContractRow, type LeaveRow } from './contracts.repo.js';

/** How far ahead a contract's charges are shown: at least this many months past the current one. */
const HORIZON_MONTHS = 2;
/** How far ahead a change may be dated: further out is a typing mistake, not a plan. */
const MAX_MONTHS_AHEAD = 24;

interface Clock {
  today: IsoDate;
  rules: MembershipRules;
}

async function clock(ctx: TenantContext): Promise<Clock> {
  return { today: tenantToday(ctx), rules: await membershipRules(ctx.db) };
}

/**
 * The clock the cut-off day is read by: today, or the day a member asked (a request staff approved later), so the
 * time staff take to decide never moves the first month a change can take effect. Only while that month is not
 * yet invoiced, though: a change never rewrites a month already billed (nor one already begun), so a request
 * approved after the invoice falls under today's cut-off, and one that no longer fits is refused.
 */
function cutoffClock(time: Clock, asked: AsRequested, contract: ContractRow, firstChangedMonth: (c: Clock) => IsoMonth): Clock {
  if (!asked.asOf || asked.asOf >= time.today) return time;
  const then = { ...time, today: asked.asOf };
  const month = firstDay(firstChangedMonth(then));
  const unbilled = contract.billed_through === null || contract.billed_through < month;
  return unbilled && month > time.today ? then : time;
}

/** A change made on a member's request, approved by staff: the cut-off is read as of the day they asked. */
export interface AsRequested {
  asOf?: IsoDate;
  /** When they asked: a cancellation records it as its request. */
  requestedAt?: Date;
}

const unprocessable = (detail: Text) => new AppError('unprocessable', detail);

/**
 * A month as a value for `{m, date, ::yMMMM}` (2026年12月 / December 2026): its 15th at midnight UTC, which is in
 * the same month in every time zone the studio's may be.
 */
export const monthValue = (m: IsoMonth): Date => day(`${m}-15`);

/** Words the studio keeps (status reasons), in its language: they outlive the request. */
const studioWords = (ctx: TenantContext, t: Text) => render(t, studioLocale(ctx.tenant), ctx.tenant.timezone);

/** A live plan of a kind, at its current version. */
async function sellablePlan(db: Tx, planId: string, kinds: ReadonlyArray<PlanRow['kind']>): Promise<{ plan: PlanRow; version: PlanVersionRow }> {
  const plan = await plansRepo.byId(db, planId);
  if (!plan) throw notFound('contracts.thing.plan');
  if (!kinds.includes(plan.kind)) throw unprocessable(text('contracts.wrong_plan_kind', { kind: plan.kind, needs: kinds.join('_') }));
  if (plan.archived_at) throw unprocessable(text('contracts.plan_archived', { name: plan.name }));
  return { plan, version: (await plansRepo.version(db, planId, plan.current_version))! };
}

/** A contract's plans, leaves and options as stored. */
async function partsOf(db: Tx, contractId: string) {
  const [plans, leaves, options] = await Promise.all([contractsRepo.plans(db, contractId), contractsRepo.leaves(db, contractId), contractsRepo.options(db, contractId)]);
  return { plans, leaves, options };
}
type ContractParts = Awaited<ReturnType<typeof partsOf>>;

/** The contract as the charge computation reads it. */
export async function timelineOf(db: Tx, c: ContractRow, parts?: ContractParts): Promise<ContractTimeline> {
  const { plans, leaves, options } = parts ?? (await partsOf(db, c.id));
  const version = async (planId: string, v: number) => (await plansRepo.version(db, planId, v))!;
  return assembleTimeline(
    c,
    await Promise.all(plans.map(async (p) => ({ effective_from: p.effective_from, name: p.name, version: await version(p.plan_id, p.plan_version) }))),
    leaves,
    await Promise.all(options.map(async (o) => ({ id: o.id, from_date: o.from_date, until_date: o.until_date, name: o.name, version: await version(o.plan_id, o.plan_version) }))),
  );
}

/** Builds the timeline from rows already read: the billing run reads them for many contracts at once. */
export function assembleTimeline(
  c: Pick<ContractRow, 'id' | 'kind' | 'start_date' | 'end_date'>,
  plans: Array<{ effective_from: IsoDate; name: string; version: ChargedVersion }>,
  leaves: Array<Pick<LeaveRow, 'from_month' | 'return_month' | 'withdrawn_at'>>,
  options: Array<{ id: string; from_date: IsoDate; until_date: IsoDate | null; name: string; version: ChargedVersion }>,
): ContractTimeline {
  return {
    contractId: c.id,
    kind: c.kind,
    startDate: c.start_date,
    endDate: c.end_date,
    plans: plans.map((p) => ({ from: p.effective_from, terms: chargeTermsOf(p.version, p.name) })),
    leaves: leaves.filter((l) => !l.withdrawn_at).map((l) => ({ fromMonth: monthOf(l.from_month), returnMonth: l.return_month ? monthOf(l.return_month) : null })),
    options: options.map((o) => ({ id: o.id, from: o.from_date, until: o.until_date, terms: chargeTermsOf(o.version, o.name) })),
  };
}

/**
 * What will be charged and when: each month from now (or the start) to the horizon, with its tax. The lines are
 * in the studio's language, as its invoices will say them (plan names are the studio's words).
 */
function chargeSchedule(ctx: TenantContext, t: ContractTimeline, { today, rules }: Clock, horizon: IsoMonth) {
  const from = [monthOf(today), monthOf(t.startDate)].sort()[1]!;
  const to = t.kind === 'pack' ? monthOf(t.startDate) : [horizon, t.endDate ? monthOf(t.endDate) : horizon].sort()[0]!;
  return chargesForPeriods(t, from, to, rules)
    .filter((p) => p.lines.length > 0)
    .map((p) => ({
      period: p.period,
      chargedOn: chargedOn(p.period, today, rules),
      lines: p.lines.map((l) => ({ ...l, description: studioWords(ctx, l.description) })),
      ...taxSummary(p.lines, rules.taxRounding),
    }));
}

function statusOf(c: ContractRow, t: ContractTimeline, today: IsoDate) {
  if (c.ended_at || (c.kind === 'pack' && c.end_date! < today)) return 'ended' as const;
  if (c.start_date > today) return 'scheduled' as const;
  // A pack always has its last day; a monthly contract has one once it is cancelled.
  if (c.kind === 'monthly' && c.end_date) return 'ending' as const;
  const month = monthOf(today);
  if (t.leaves.some((l) => l.fromMonth <= month && (l.returnMonth === null || month < l.returnMonth))) return 'on_leave' as const;
  return 'active' as const;
}

const toLeave = (l: LeaveRow) => ({
  id: l.id,
  fromMonth: monthOf(l.from_month),
  returnMonth: l.return_month ? monthOf(l.return_month) : null,
  reason: l.reason,
  withdrawn: l.withdrawn_at !== null,
});
/** What removing an option today does: it stops at the end of the last month the cut-off still allows, or, not started by then, it is taken off. */
function removalOf(o: Pick<ContractParts['options'][number], 'from_date'>, time: Clock) {
  const stopsAfter = lastDay(addMonths(earliestChangeMonth(time.today, time.rules), -1));
  return { stopsAfter, takenOff: o.from_date > stopsAfter };
}

const toOption = (o: ContractParts['options'][number], time: Clock) => ({
  id: o.id, planId: o.plan_id, name: o.name, version: o.plan_version, fromDate: o.from_date, untilDate: o.until_date,
  removal: o.until_date ? null : removalOf(o, time),
});

async function detail(ctx: TenantContext, id: string, c?: Clock, horizonAtLeast?: IsoMonth) {
  const contract = await contractsRepo.byId(ctx.db, id);
  if (!contract) throw notFound('contracts.thing.contract');
  const time = c ?? (await clock(ctx));
  const parts = await partsOf(ctx.db, id);
  const t = await timelineOf(ctx.db, contract, parts);
  const member = (await membersRepo.byId(ctx.db, contract.member_id))!;
  const { plans, leaves, options } = parts;
  const horizon = [addMonths(monthOf(time.today), HORIZON_MONTHS), horizonAtLeast ?? ''].sort().at(-1)!;
  // horizonAtLeast comes from validated input, at most MAX_MONTHS_AHEAD away.
  return {
    id: contract.id,
    memberId: contract.member_id,
    billingMemberId: billingMemberId(member),
    kind: contract.kind,
    status: statusOf(contract, t, time.today),
    startDate: contract.start_date,
    endDate: contract.end_date,
    cancelReason: contract.cancel_reason,
    cancelRequestedAt: contract.cancel_requested_at?.toISOString() ?? null,
    endedAt: contract.ended_at?.toISOString() ?? null,
    plans: plans.map((p) => ({ effectiveFrom: p.effective_from, planId: p.plan_id, planName: p.name, version: p.plan_version })),
    leaves: leaves.map(toLeave),
    options: options.map((o) => toOption(o, time)),
    currency: time.rules.currency,
    charges: chargeSchedule(ctx, t, time, horizon),
  };
}

/** The contract, locked, and still open to changes. */
async function openMonthly(ctx: TenantContext, id: string) {
  const contract = await contractsRepo.byIdForUpdate(ctx.db, id);
  if (!contract) throw notFound('contracts.thing.contract');
  if (contract.kind !== 'monthly') throw unprocessable(text('contracts.pack_no_changes'));
  if (contract.ended_at) throw unprocessable(text('contracts.contract_ended'));
  return contract;
}

function assertFromMonth(from: IsoMonth, c: Clock, what: Text) {
  assertWithinReach(from, c, what);
  const earliest = earliestChangeMonth(c.today, c.rules);
  if (from < earliest) {
    throw unprocessable(text('contracts.from_month_too_early', { what, earliest: monthValue(earliest), cutoff: c.rules.cutoffDay }));
  }
}

function assertWithinReach(m: IsoMonth, c: Clock, what: Text) {
  const latest = addMonths(monthOf(c.today), MAX_MONTHS_AHEAD);
  if (m > latest) throw unprocessable(text('contracts.too_far_ahead', { what, max: MAX_MONTHS_AHEAD, latest: monthValue(latest) }));
}

/** A leave's return must come by the month after the contract's last day, or it would revive a cancelled member. */
function assertReturnWithin(contract: ContractRow, returnMonth: IsoMonth) {
  if (contract.end_date && firstDay(returnMonth) > addDays(contract.end_date, 1)) {
    throw unprocessable(text('contracts.return_after_end', { end: day(contract.end_date) }));
  }
}

/** Another leave of the contract (not withdrawn, not `except`) overlapping the months from..return. */
function overlapsLeave(leaves: LeaveRow[], from: IsoDate, returnMonth: IsoDate | null, except?: string) {
  return leaves.some(
    (l) => l.id !== except && !l.withdrawn_at && (l.return_month === null || from < l.return_month) && (returnMonth === null || l.from_month < returnMonth),
  );
}

function assertRunsThrough(contract: ContractRow, m: IsoMonth, what: Text) {
  if (contract.end_date && contract.end_date < firstDay(m)) throw unprocessable(text('contracts.after_end', { what, end: day(contract.end_date) }));
}

/** For member routes: the contract, if it belongs to the signed-in member or a member of the family they lead. */
/** A contract of the member (or of a family member they lead); anyone else's is not found. */
export async function ownContract(ctx: TenantContext, id: string, opts: { approvable?: boolean } = {}) {
  const contract = await contractsRepo.byId(ctx.db, id);
  if (!contract) throw notFound('contracts.thing.contract');
  await actingMemberId(ctx, contract.member_id).catch(() => {
    throw notFound('contracts.thing.contract');
  });
  // A studio that approves leaves and cancellations takes them as requests (contract-requests.service.ts).
  if (opts.approvable && (await settingsRepo.get(ctx.db))?.member_changes_need_approval) {
    throw new AppError('conflict', text('contracts.approval_required'), { reason: 'approval_required' });
  }
  return contract;
}

export const contractsService = {
  get: (ctx: TenantContext, id: string) => detail(ctx, id),

  /** A member's own contracts (and, for a family lead, a family member's, by memberId). */
  mine: async (ctx: TenantContext, memberId?: string) => contractsService.listForMember(ctx, await actingMemberId(ctx, memberId)),

  /** The changes members may make themselves, on their own (or their family's) contracts only. */
  self: {
    startLeave: async (ctx: TenantContext, id: string, input: { fromMonth: IsoMonth; returnMonth?: IsoMonth; reason?: string }) =>
      contractsService.startLeave(ctx, (await ownContract(ctx, id, { approvable: true })).id, input),
    async setReturn(ctx: TenantContext, id: string, leaveId: string, input: { returnMonth: IsoMonth }) {
      const contract = await ownContract(ctx, id);
      // Coming back sooner is the member's own choice; staying away longer lengthens the leave, which a studio
      // that approves leaves decides.
      const leave = await contractsRepo.leave(ctx.db, contract.id, leaveId);
      if (leave && (!leave.return_month || firstDay(input.returnMonth) > leave.return_month)) await ownContract(ctx, id, { approvable: true });
      return contractsService.setReturn(ctx, contract.id, leaveId, input);
    },
    cancel: async (ctx: TenantContext, id: string, input: { reason: string }) => contractsService.cancel(ctx, (await ownContract(ctx, id, { approvable: true })).id, input),
    /** An option the studio sells in the member app (a locker, a towel set), on the member's monthly contract. */
    async addOption(ctx: TenantContext, id: string, input: { planId: string; fromDate?: string }) {
      const contract = await ownContract(ctx, id);
      const plan = await plansRepo.byId(ctx.db, input.planId);
      if (!plan || !plan.sold_online || plan.kind !== 'option') throw notFound('contracts.thing.plan');
      return contractsService.addOption(ctx, contract.id, input);
    },
  },

  async getLeave(ctx: TenantContext, id: string, leaveId: string) {
    const leave = await contractsRepo.leave(ctx.db, id, leaveId);
    if (!leave) throw notFound('contracts.thing.leave');
    return toLeave(leave);
  },

  async getOption(ctx: TenantContext, id: string, optionId: string) {
    const option = (await contractsRepo.options(ctx.db, id)).find((o) => o.id === optionId);
    if (!option) throw notFound('contracts.thing.option');
    return toOption(option, await clock(ctx));
  },

  async listForMember(ctx: TenantContext, memberId: string) {
    if (!(await membersRepo.byId(ctx.db, memberId))) throw notFound('members.thing.member');
    const rows = await contractsRepo.forMember(ctx.db, memberId);
    const time = await clock(ctx);
    return { items: await Promise.all(rows.map((r) => detail(ctx, r.id, time))) };
  },

  /**
   * Sells a monthly plan (from a start date) or a pack. The member becomes active from the start; credits the
   * plan grants at once are granted; the charges show the first month under the tenant's pro-rating rule.
   */
  async sell(ctx: TenantContext, input: { memberId: string; planId: string; startDate?: string; optionPlanIds?: string[] }) {
    const time = await clock(ctx);
    const { today } = time;
    const startDate = input.startDate ?? today;
    if (!isValidDate(startDate)) throw new AppError('validation_failed', text('contracts.not_a_date', { field: 'startDate' }));
    if (startDate < firstDay(monthOf(today))) throw unprocessable(text('contracts.start_before_this_month'));
    if (startDate > addDays(today, 366)) throw unprocessable(text('contracts.start_too_far'));
    const member = await membersRepo.byIdForUpdate(ctx.db, input.memberId);
    if (!member) throw notFound('members.thing.member');
    const { plan, version } = await sellablePlan(ctx.db, input.planId, ['monthly', 'pack']);
    const optionIds = [...new Set(input.optionPlanIds ?? [])];
    if (plan.kind === 'pack' && optionIds.length > 0) throw unprocessable(text('contracts.options_monthly_only'));
    if (plan.kind === 'monthly') {
      const running = await contractsRepo.runningMonthly(ctx.db, member.id, startDate);
      if (running) {
        throw new AppError('conflict', running.end_date ? text('contracts.already_monthly_until', { until: day(running.end_date) }) : text('contracts.already_monthly'));
      }
    }
    const options = await Promise.all(optionIds.map((id) => sellablePlan(ctx.db, id, ['option'])));
    const actor = actorOf(ctx);
    const endDate = plan.kind === 'pack' ? addDays(startDate, version.pack_validity_days! - 1) : null;
    const contract = await contractsRepo.insert(ctx.db, {
      member_id: member.id,
      kind: plan.kind === 'pack' ? 'pack' : 'monthly',
      start_date: startDate,
      end_date: endDate,
      created_by: actor.kind === 'staff' ? actor.id : null,
    });
    await contractsRepo.setPlanFrom(ctx.db, { contract_id: contract.id, effective_from: startDate, plan_id: plan.id, plan_version: version.version });
    await contractsRepo.insertOptions(
      ctx.db,
      options.map((o) => ({ contract_id: contract.id, plan_id: o.plan.id, plan_version: o.version.version, from_date: startDate })),
    );
    if (plan.kind === 'pack') {
      await creditsService.grant(ctx.db, { memberId: member.id, amount: version.pack_credits!, expiresOn: endDate, contractId: contract.id, grantKey: `pack:${contract.id}`, reason: plan.name, actor });
    } else if (version.credit_grant === 'contract_start') {
      // Valid while the contract runs; they expire with the membership.
      await creditsService.grant(ctx.db, { memberId: member.id, amount: version.credits_per_grant!, expiresOn: null, contractId: contract.id, grantKey: `start:${contract.id}`, reason: plan.name, actor });
    } else if (startDate <= today) {
      await creditsService.grantDue(ctx.db, today, studioLocale(ctx.tenant), { contractIds: [contract.id] });
    }
    const projected = await projectedStatus(ctx.db, member.id, startDate);
    if (projected !== 'active' && projected !== 'on_leave') {
      await statusService.schedule(ctx.db, actor, today, {
        memberId: member.id,
        to: 'active',
        effectiveOn: startDate,
        reason: studioWords(ctx, text(projected === 'cancelled' ? 'contracts.reason.reinstated' : 'contracts.reason.joined', { plan: plan.name })),
        contractId: contract.id,
      }, studioLocale(ctx.tenant));
    }
    return detail(ctx, contract.id, time);
  },

  /** Moves the contract to a plan (or to its plan's current version) from the 1st of a month after the cut-off. */
  async changePlan(ctx: TenantContext, id: string, input: { planId: string; fromMonth: IsoMonth }) {
    const time = await clock(ctx);
    const contract = await openMonthly(ctx, id);
    assertFromMonth(input.fromMonth, time, text('contracts.what.plan_change'));
    assertRunsThrough(contract, input.fromMonth, text('contracts.what.plan_change_after_end'));
    const member = (await membersRepo.byId(ctx.db, contract.member_id))!;
    const unpaid = await contractsRepo.unpaidInvoices(ctx.db, billingMemberId(member));
    if (unpaid > 0) throw new AppError('conflict', text('contracts.unpaid_invoices', { count: unpaid }), { unpaidInvoices: unpaid });
    const { plan, version } = await sellablePlan(ctx.db, input.planId, ['monthly']);
    await contractsRepo.setPlanFrom(ctx.db, { contract_id: id, effective_from: firstDay(input.fromMonth), plan_id: plan.id, plan_version: version.version });
    return detail(ctx, id, time, input.fromMonth);
  },

  /** 休会 from a month, optionally with the month of return; the leave fee replaces the monthly price. */
  async startLeave(ctx: TenantContext, id: string, input: { fromMonth: IsoMonth; returnMonth?: IsoMonth | undefined; reason?: string | undefined }, requested: AsRequested = {}) {
    const time = await clock(ctx);
    const contract = await openMonthly(ctx, id);
    assertFromMonth(input.fromMonth, cutoffClock(time, requested, contract, () => input.fromMonth), text('contracts.what.leave'));
    assertRunsThrough(contract, input.fromMonth, text('contracts.what.leave_after_end'));
    if (input.fromMonth < monthOf(contract.start_date)) throw unprocessable(text('contracts.leave_before_contract'));
    if (input.returnMonth !== undefined) {
      if (input.returnMonth <= input.fromMonth) throw new AppError('validation_failed', text('contracts.return_after_from'));
      assertWithinReach(input.returnMonth, time, text('contracts.what.return'));
      assertReturnWithin(contract, input.returnMonth);
    }
    if (overlapsLeave(await contractsRepo.leaves(ctx.db, id), firstDay(input.fromMonth), input.returnMonth ? firstDay(input.returnMonth) : null)) {
      throw new AppError('conflict', text('contracts.leave_overlaps'));
    }
    const leave = await contractsRepo.insertLeave(ctx.db, {
      contract_id: id,
      from_month: firstDay(input.fromMonth),
      return_month: input.returnMonth ? firstDay(input.returnMonth) : null,
      reason: input.reason ?? '',
    });
    const actor = actorOf(ctx);
    const common = { memberId: contract.member_id, contractId: id, leaveId: leave.id };
    await statusService.schedule(ctx.db, actor, time.today, { ...common, to: 'on_leave', effectiveOn: firstDay(input.fromMonth), reason: input.reason || studioWords(ctx, text('contracts.reason.leave')) }, studioLocale(ctx.tenant));
    if (input.returnMonth) {
      await statusService.schedule(ctx.db, actor, time.today, { ...common, to: 'active', effectiveOn: firstDay(input.returnMonth), reason: studioWords(ctx, text('contracts.reason.back_from_leave')) }, studioLocale(ctx.tenant));
    }
    return detail(ctx, id, time, input.returnMonth ?? input.fromMonth);
  },

  /** Sets (or moves) the month a member returns from a leave. */
  async setReturn(ctx: TenantContext, id: string, leaveId: string, input: { returnMonth: IsoMonth }) {
    // An unknown leave is 404 before any rule about the contract: its id is what the caller got wrong.
    if (!(await contractsRepo.leave(ctx.db, id, leaveId))) throw notFound('contracts.thing.leave');
    const time = await clock(ctx);
    const contract = await openMonthly(ctx, id);
    const leave = await contractsRepo.leave(ctx.db, id, leaveId);
    if (!leave) throw notFound('contracts.thing.leave');
    if (leave.withdrawn_at) throw unprocessable(text('contracts.leave_withdrawn'));
    if (firstDay(input.returnMonth) <= leave.from_month) throw new AppError('validation_failed', text('contracts.return_after_leave_start'));
    assertFromMonth(input.returnMonth, time, text('contracts.what.return'));
    assertReturnWithin(contract, input.returnMonth);
    // A return month already past the cut-off is invoiced as it stands; it can no longer move.
    if (leave.return_month && monthOf(leave.return_month) < earliestChangeMonth(time.today, time.rules)) {
      throw unprocessable(text('contracts.return_past_cutoff', { month: monthValue(monthOf(leave.return_month)) }));
    }
    if (overlapsLeave(await contractsRepo.leaves(ctx.db, id), leave.from_month, firstDay(input.returnMonth), leave.id)) {
      throw new AppError('conflict', text('contracts.leave_would_overlap'));
    }
    await statusRepo.withdraw(ctx.db, (await statusRepo.pendingOfContract(ctx.db, id, { leaveId, to: 'active' })).map((c) => c.id));
    await contractsRepo.updateLeave(ctx.db, leaveId, { return_month: firstDay(input.returnMonth) });
    await statusService.schedule(ctx.db, actorOf(ctx), time.today, {
      memberId: contract.member_id,
      to: 'active',
      effectiveOn: firstDay(input.returnMonth),
      reason: studioWords(ctx, text('contracts.reason.back_from_leave')),
      contractId: id,
      leaveId,
    }, studioLocale(ctx.tenant));
    return detail(ctx, id, time, input.returnMonth);
  },

  /** Withdraws a leave that has not started (and is not yet within the cut-off). */
  async withdrawLeave(ctx: TenantContext, id: string, leaveId: string) {
    // An unknown leave is 404 before any rule about the contract: its id is what the caller got wrong.
    if (!(await contractsRepo.leave(ctx.db, id, leaveId))) throw notFound('contracts.thing.leave');
    const time = await clock(ctx);
    await openMonthly(ctx, id);
    const leave = await contractsRepo.leave(ctx.db, id, leaveId);
    if (!leave) throw notFound('contracts.thing.leave');
    if (leave.withdrawn_at) throw unprocessable(text('contracts.leave_already_withdrawn'));
    if (monthOf(leave.from_month) < earliestChangeMonth(time.today, time.rules)) {
      throw unprocessable(text('contracts.leave_started'));
    }
    await contractsRepo.updateLeave(ctx.db, leaveId, { withdrawn_at: new Date() });
    await statusRepo.withdraw(ctx.db, (await statusRepo.pendingOfContract(ctx.db, id, { leaveId })).map((c) => c.id));
    return detail(ctx, id, time);
  },

  /**
   * 退会 with the cut-off rule: applied on or before the cut-off day, the contract ends at the end of this
   * month; later, at the end of next month. On the day after, the member is cancelled, future reservations
   * are released and remaining credits expire (by the daily job).
   */
  async cancel(ctx: TenantContext, id: string, input: { reason: string }, requested: AsRequested = {}) {
    const time = await clock(ctx);
    const contract = await openMonthly(ctx, id);
    if (contract.end_date) throw new AppError('conflict', text('contracts.already_cancelled', { end: day(contract.end_date) }));
    // The first month a cancellation changes is the first it no longer charges.
    const asked = cutoffClock(time, requested, contract, (c) => earliestChangeMonth(c.today, c.rules));
    const byCutoff = lastDay(addMonths(earliestChangeMonth(asked.today, asked.rules), -1));
    const endDate = [byCutoff, lastDay(monthOf(contract.start_date))].sort()[1]!;
    await contractsRepo.update(ctx.db, id, { end_date: endDate, cancel_reason: input.reason, cancel_requested_at: requested.requestedAt ?? new Date() });
    // Returns from leave after the end would reactivate a cancelled member.
    await statusRepo.withdraw(ctx.db, (await statusRepo.pendingOfContract(ctx.db, id, { after: endDate })).map((c) => c.id));
    await statusService.schedule(ctx.db, actorOf(ctx), time.today, {
      memberId: contract.member_id,
      to: 'cancelled',
      effectiveOn: addDays(endDate, 1),
      reason: input.reason,
      contractId: id,
    }, studioLocale(ctx.tenant));
    return detail(ctx, id, time);
  },

  /** Takes back a cancellation before it ends the contract. */
  async withdrawCancellation(ctx: TenantContext, id: string) {
    const time = await clock(ctx);
    const contract = await openMonthly(ctx, id);
    if (!contract.end_date) throw unprocessable(text('contracts.not_cancelled'));
    await membersRepo.byIdForUpdate(ctx.db, contract.member_id);
    const next = await contractsRepo.runningMonthly(ctx.db, contract.member_id, contract.start_date, id);
    if (next) throw new AppError('conflict', text('contracts.other_contract', { start: day(next.start_date) }));
    const pending = await statusRepo.pendingOfContract(ctx.db, id, { to: 'cancelled' });
    if (pending.length === 0) throw unprocessable(text('contracts.cancellation_effective'));
    await statusRepo.withdraw(ctx.db, pending.map((c) => c.id));
    await contractsRepo.update(ctx.db, id, { end_date: null, cancel_reason: null, cancel_requested_at: null });
    // The cancellation withdrew the leave changes dated after its end; the leaves stand again, so do they.
    const actor = actorOf(ctx);
    for (const leave of (await contractsRepo.leaves(ctx.db, id)).filter((l) => !l.withdrawn_at)) {
      const steps = [
        { to: 'on_leave' as const, on: leave.from_month, reason: leave.reason || studioWords(ctx, text('contracts.reason.leave')) },
        ...(leave.return_month ? [{ to: 'active' as const, on: leave.return_month, reason: studioWords(ctx, text('contracts.reason.back_from_leave')) }] : []),
      ];
      for (const step of steps.filter((x) => x.on > contract.end_date!)) {
        await statusService.schedule(ctx.db, actor, time.today, { memberId: contract.member_id, to: step.to, effectiveOn: step.on, reason: step.reason, contractId: id, leaveId: leave.id }, studioLocale(ctx.tenant));
      }
    }
    return detail(ctx, id, time);
  },

  /** Attaches an option (locker, rental) from a day; its first month follows the pro-rating rule. */
  async addOption(ctx: TenantContext, id: string, input: { planId: string; fromDate?: string }) {
    const time = await clock(ctx);
    const contract = await openMonthly(ctx, id);
    const fromDate = input.fromDate ?? [time.today, contract.start_date].sort()[1]!;
    if (!isValidDate(fromDate)) throw new AppError('validation_failed', text('contracts.not_a_date', { field: 'fromDate' }));
    if (fromDate < time.today || fromDate < contract.start_date) throw unprocessable(text('contracts.option_start'));
    assertWithinReach(monthOf(fromDate), time, text('contracts.what.option'));
    assertRunsThrough(contract, monthOf(fromDate), text('contracts.what.option_after_end'));
    const { plan, version } = await sellablePlan(ctx.db, input.planId, ['option']);
    await contractsRepo.insertOptions(ctx.db, [{ contract_id: id, plan_id: plan.id, plan_version: version.version, from_date: fromDate }]);
    return detail(ctx, id, time, monthOf(fromDate));
  },

  /** Detaches an option at the end of the month the cut-off allows. */
  async endOption(ctx: TenantContext, id: string, optionId: string) {
    // An unknown option is 404 before any rule about the contract: its id is what the caller got wrong.
    if (!(await contractsRepo.option(ctx.db, id, optionId))) throw notFound('contracts.thing.option');
    const time = await clock(ctx);
    await openMonthly(ctx, id);
    const option = await contractsRepo.option(ctx.db, id, optionId);
    if (!option) throw notFound('contracts.thing.option');
    if (option.until_date) throw new AppError('conflict', text('contracts.option_ends', { until: day(option.until_date) }));
    const removal = removalOf(option, time);
    if (removal.takenOff) await contractsRepo.deleteOption(ctx.db, optionId);
    else await contractsRepo.updateOption(ctx.db, optionId, { until_date: removal.stopsAfter });
    return detail(ctx, id, time);
  },
};
