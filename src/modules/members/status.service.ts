import type { Insertable } from 'kysely';
import { AppError, notFound } from '../../platform/errors.js';
import { day, studioLocale, text, type Locale, type MessageId } from '../../platform/i18n.js';
import type { Tx } from '../../platform/db/databases.js';
import type { AppMemberStatusEvents, MemberStatus } from '../../platform/db/types.js';
import { tenantToday } from '../../platform/calendar.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actorOf, type Actor } from '../../platform/tenancy/actor.js';
import { creditsService } from '../credits/credits.service.js';
import { contractsRepo } from '../contracts/contracts.repo.js';
import { statusRepo, type StatusChange } from './status.repo.js';

/** The lifecycle: provisional → trial → active ⇄ on leave → cancelled, and reinstatement from cancelled. */
export const TRANSITIONS: Record<MemberStatus, readonly MemberStatus[]> = {
  provisional: ['trial', 'active', 'cancelled'],
  trial: ['active', 'cancelled'],
  active: ['on_leave', 'cancelled'],
  on_leave: ['active', 'cancelled'],
  cancelled: ['trial', 'active'],
};

const LABEL: Record<MemberStatus, MessageId> = {
  provisional: 'members.status.provisional',
  trial: 'members.status.trial',
  active: 'members.status.active',
  on_leave: 'members.status.on_leave',
  cancelled: 'members.status.cancelled',
};

export const allowed = (from: MemberStatus, to: MemberStatus) => TRANSITIONS[from].includes(to);

export interface StatusChangeRequest {
  memberId: string;
  to: Exclude<MemberStatus, 'provisional'>;
  effectiveOn: string;
  reason: string;
  contractId?: string | null;
  leaveId?: string | null;
}

/**
 * Carries out due changes, a batch at a time, in the caller's transaction: each member's earliest due change is
 * judged against the member's status now (rows locked); a legal one becomes a history event (which sets the
 * status), an illegal one (overtaken by another change) is withdrawn. Ending a membership expires the
 * member's credits and closes the contract, recorded on the event. Returns how many changes it settled.
 * `locale`: the studio's language, for the reasons the credit ledger keeps.
 */
export async function applyDueChanges(db: Tx, today: string, locale: Locale, opts: { limit?: number; memberIds?: string[] } = {}): Promise<number> {
  const due = await statusRepo.dueBatch(db, today, opts.limit ?? 1000, opts.memberIds);
  if (due.length === 0) return 0;
  const members = new Map((await statusRepo.lockMembers(db, due.map((c) => c.member_id))).map((m) => [m.id, m.status]));
  const stillPending = new Set((await statusRepo.lockPending(db, due.map((c) => c.id))).map((c) => c.id));
  const running = await contractsRepo.notEnded(db, [...members.keys()]);
  const contractOf = new Map(running.map((c) => [c.id, c]));
  const apply: StatusChange[] = [];
  const overtaken: string[] = [];
  // A contract ends but another one (a pack, the next plan) runs on: the membership goes on.
  const endsOnlyContract: StatusChange[] = [];
  for (const change of due) {
    if (!stillPending.has(change.id)) continue;
    const from = members.get(change.member_id)!;
    if (change.contract_id && change.to_status !== 'cancelled') {
      // A leave or return of a contract that has ended (or ends first) no longer applies.
      const c = contractOf.get(change.contract_id);
      if (!c || (c.end_date !== null && c.end_date < change.effective_on)) {
        overtaken.push(change.id);
        continue;
      }
    }
    if (change.to_status === 'cancelled' && change.contract_id) {
      const others = running.filter(
        (c) => c.member_id === change.member_id && c.id !== change.contract_id && c.start_date <= change.effective_on && (c.end_date === null || c.end_date >= change.effective_on),
      );
      if (others.length > 0) {
        endsOnlyContract.push(change);
        continue;
      }
    }
    if (from === change.to_status || !allowed(from, change.to_status)) overtaken.push(change.id);
    else apply.push(change);
  }
  const ending = apply.filter((c) => c.to_status === 'cancelled');
  const expired = await creditsService.expireOnEnd(
    db,
    { members: ending.map((c) => c.member_id), contracts: endsOnlyContract.map((c) => c.contract_id!) },
    locale,
  );
  await contractsRepo.markEnded(db, [...ending, ...endsOnlyContract].flatMap((c) => (c.contract_id ? [c.contract_id] : [])));
  const events: Array<Insertable<AppMemberStatusEvents>> = apply.map((c) => ({
    member_id: c.member_id,
    from_status: members.get(c.member_id)!,
    to_status: c.to_status,
    effective_on: c.effective_on,
    reason: c.reason,
    actor_kind: c.requested_by_kind,
    actor_id: c.requested_by,
    change_id: c.id,
    contract_id: c.contract_id,
    effects: JSON.stringify(c.to_status === 'cancelled' ? { creditsExpired: expired.get(c.member_id) ?? 0 } : {}),
  }));
  await statusRepo.insertEvents(db, events);
  await statusRepo.markApplied(db, [...apply, ...endsOnlyContract].map((c) => c.id));
  await statusRepo.withdraw(db, overtaken);
  return due.length;
}

/** The status a member will have on a day, once the changes already scheduled up to then have applied. */
export async function projectedStatus(db: Tx, memberId: string, day: string, current?: MemberStatus): Promise<MemberStatus> {
  let status = current ?? (await statusRepo.currentStatus(db, memberId))!;
  for (const change of await statusRepo.pending(db, memberId)) {
    if (change.effective_on <= day && allowed(status, change.to_status)) status = change.to_status;
  }
  return status;
}

/** Applies everything due, batch after batch; each batch is its own short transaction. */
export async function applyAllDue(transaction: <T>(fn: (db: Tx) => Promise<T>) => Promise<T>, today: string, locale: Locale, batch = 1000) {
  let total = 0;
  for (;;) {
    const settled = await transaction((db) => applyDueChanges(db, today, locale, { limit: batch }));
    if (settled === 0) return total;
    total += settled;
  }
}

const toScheduled = (c: StatusChange) => ({
  id: c.id,
  to: c.to_status,
  effectiveOn: c.effective_on,
  reason: c.reason,
  contractId: c.contract_id,
  requestedBy: { kind: c.requested_by_kind, id: c.requested_by },
  requestedAt: c.requested_at.toISOString(),
});

export const statusService = {
  /** The first event of every member: registered as provisional (`reason`: the studio's word for it). */
  recordRegistration: (db: Tx, memberIds: string[], actor: Actor, today: string, reason: string) =>
    statusRepo.insertEvents(
      db,
      memberIds.map((id) => ({ member_id: id, from_status: null, to_status: 'provisional' as const, effective_on: today, reason, actor_kind: actor.kind, actor_id: actor.id })),
    ),

  /**
   * Schedules a change (applied at once when it is due today or earlier). It must follow from the status the
   * member will have by then; a later change it makes impossible is withdrawn when its day comes.
   * `locale`: the studio's language, for what applying it writes (the credit ledger's reasons).
   */
  async schedule(db: Tx, actor: Actor, today: string, req: StatusChangeRequest, locale: Locale) {
    const [member] = await statusRepo.lockMembers(db, [req.memberId]);
    if (!member) throw notFound('members.thing.member');
    const projected = await projectedStatus(db, req.memberId, req.effectiveOn, member.status);
    if (!allowed(projected, req.to)) {
      throw new AppError('unprocessable', text('members.transition_not_allowed', { from: text(LABEL[projected]), on: day(req.effectiveOn), to: text(LABEL[req.to]) }));
    }
    const change = await statusRepo.insertChange(db, {
      member_id: req.memberId,
      to_status: req.to,
      effective_on: req.effectiveOn,
      reason: req.reason,
      contract_id: req.contractId ?? null,
      leave_id: req.leaveId ?? null,
      requested_by_kind: actor.kind,
      requested_by: actor.id,
    });
    if (req.effectiveOn <= today) {
      // Earlier due changes go first, so this one meets the status they leave.
      while ((await applyDueChanges(db, today, locale, { memberIds: [req.memberId] })) > 0);
    }
    return change;
  },

  /** A change by hand: trial, reinstatement, or ending a membership that has no running contract. */
  async change(ctx: TenantContext, memberId: string, input: { to: StatusChangeRequest['to']; effectiveOn?: string; reason: string }) {
    const today = tenantToday(ctx);
    const effectiveOn = input.effectiveOn ?? today;
    if (effectiveOn < today) throw new AppError('validation_failed', text('members.effective_in_past'));
    if (input.to !== 'trial' && (await contractsRepo.runningMonthly(ctx.db, memberId, effectiveOn))) {
      throw new AppError('unprocessable', text('members.running_contract'));
    }
    await statusService.schedule(ctx.db, actorOf(ctx), today, { memberId, to: input.to, effectiveOn, reason: input.reason }, studioLocale(ctx.tenant));
    return statusService.history(ctx, memberId);
  },

  async withdraw(ctx: TenantContext, memberId: string, changeId: string) {
    const change = await statusRepo.change(ctx.db, memberId, changeId);
    if (!change) throw notFound('members.thing.status_change');
    if (change.applied_at || change.withdrawn_at) throw new AppError('conflict', text('members.change_settled'));
    if (change.contract_id) throw new AppError('unprocessable', text('members.change_of_contract'));
    await statusRepo.withdraw(ctx.db, [change.id]);
    return statusService.history(ctx, memberId);
  },

  async scheduledChange(ctx: TenantContext, memberId: string, changeId: string) {
    const change = await statusRepo.change(ctx.db, memberId, changeId);
    if (!change || change.applied_at || change.withdrawn_at) throw notFound('members.thing.scheduled_status_change');
    return toScheduled(change);
  },

  async history(ctx: TenantContext, memberId: string) {
    const status = await statusRepo.currentStatus(ctx.db, memberId);
    if (!status) throw notFound('members.thing.member');
    const [events, pending] = await Promise.all([statusRepo.history(ctx.db, memberId), statusRepo.pending(ctx.db, memberId)]);
    return {
      status,
      events: events.map((e) => ({
        id: e.id,
        from: e.from_status,
        to: e.to_status,
        effectiveOn: e.effective_on,
        reason: e.reason,
        actor: { kind: e.actor_kind, id: e.actor_id },
        contractId: e.contract_id,
        effects: e.effects,
        recordedAt: e.recorded_at.toISOString(),
      })),
      scheduled: pending.map(toScheduled),
    };
  },
};
