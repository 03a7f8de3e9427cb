import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/errors.js';
import { studioLocale, text, type Text } from '../../platform/i18n.js';
import { monthOf, tenantToday, type IsoMonth } from '../../platform/calendar.js';
import { queueMemberMessages } from '../../platform/messaging/outbox.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actingMemberId } from '../members/acting-member.js';
import { settingsRepo } from '../settings/settings.repo.js';
import { contractRequestsRepo } from './contract-requests.repo.js';
import { contractsService, monthValue, ownContract, type AsRequested } from './contracts.service.js';

type RequestRow = NonNullable<Awaited<ReturnType<typeof contractRequestsRepo.one>>>;
type RequestBody = { kind: 'leave'; fromMonth: IsoMonth; returnMonth?: IsoMonth | undefined; reason?: string | undefined } | { kind: 'cancellation'; reason: string };

async function dtos(ctx: TenantContext, rows: RequestRow[]) {
  const plans = await contractRequestsRepo.planNames(ctx.db, [...new Set(rows.map((r) => r.contract_id))]);
  return rows.map((r) => ({
    id: r.id, contractId: r.contract_id, memberId: r.member_id, memberNumber: r.member_number, memberName: `${r.family_name} ${r.given_name}`.trim(),
    plans: plans.filter((p) => p.contract_id === r.contract_id).map((p) => p.name),
    kind: r.kind, fromMonth: r.from_month ? monthOf(r.from_month) : null, returnMonth: r.return_month ? monthOf(r.return_month) : null,
    reason: r.reason, requestedOn: r.requested_on, requestedAt: r.requested_at.toISOString(), status: r.status,
    decidedAt: r.decided_at?.toISOString() ?? null, declineReason: r.decline_reason,
  }));
}

async function dtoOf(ctx: TenantContext, id: string) {
  const row = await contractRequestsRepo.one(ctx.db, id);
  if (!row) throw notFound('contracts.thing.request');
  return (await dtos(ctx, [row]))[0]!;
}

/** The change a request asks for, made on the contract by whoever is acting (the member's check, staff's approval). */
function apply(ctx: TenantContext, contractId: string, r: RequestBody, asked: AsRequested = {}) {
  return r.kind === 'leave'
    ? contractsService.startLeave(ctx, contractId, { fromMonth: r.fromMonth, returnMonth: r.returnMonth, reason: r.reason }, asked)
    : contractsService.cancel(ctx, contractId, { reason: r.reason }, asked);
}

/** What a request asks, in words for the member's message: "休会（2027年1月から）" or "退会". */
const whatOf = (r: { kind: 'leave' | 'cancellation'; from_month: string | null }): Text =>
  r.kind === 'leave' ? text('contracts.request.what.leave', { from: monthValue(monthOf(r.from_month!)) }) : text('contracts.request.what.cancellation');

/**
 * Leaves and cancellations that members ask for, at a studio whose staff approve them. A request is checked when it
 * is made by the very rules that will apply it (the change is made and rolled back), so a member learns at once
 * what cannot be; approval applies it with the cut-off as of the day it was asked.
 */
export const contractRequestsService = {
  async ask(ctx: TenantContext, contractId: string, body: RequestBody) {
    const contract = await ownContract(ctx, contractId);
    // Where staff do not approve, the member makes the change itself: a request would only wait for nobody.
    if (!(await approvalRequired(ctx))) throw new AppError('conflict', text('contracts.approval_not_required'), { reason: 'approval_not_required' });
    await sql`savepoint contract_request`.execute(ctx.db);
    let outcome;
    try {
      outcome = await apply(ctx, contract.id, body);
    } finally {
      await sql`rollback to savepoint contract_request`.execute(ctx.db);
    }
    const asked = await contractRequestsRepo.ask(ctx.db, {
      contract_id: contract.id, member_id: contract.member_id, kind: body.kind, requested_on: tenantToday(ctx), requested_at: ctx.now,
      from_month: body.kind === 'leave' ? `${body.fromMonth}-01` : null,
      return_month: body.kind === 'leave' && body.returnMonth ? `${body.returnMonth}-01` : null,
      reason: body.reason ?? '',
    });
    if (!asked) throw new AppError('conflict', text('contracts.request_pending'), { reason: 'request_pending' });
    return { request: await dtoOf(ctx, asked.id), contract: outcome };
  },

  async mine(ctx: TenantContext, memberId?: string) {
    const who = await actingMemberId(ctx, memberId);
    return { approvalRequired: await approvalRequired(ctx), items: await dtos(ctx, await contractRequestsRepo.list(ctx.db, { memberId: who })) };
  },

  async withdraw(ctx: TenantContext, id: string) {
    const row = await contractRequestsRepo.forUpdate(ctx.db, id);
    if (!row) throw notFound('contracts.thing.request');
    await actingMemberId(ctx, row.member_id).catch(() => {
      throw notFound('contracts.thing.request');
    });
    if (row.status !== 'pending') throw new AppError('conflict', text('contracts.request_decided'), { reason: 'request_decided' });
    await contractRequestsRepo.decide(ctx.db, id, { status: 'withdrawn', decided_at: ctx.now, decided_by: null });
    return dtoOf(ctx, id);
  },

  one: (ctx: TenantContext, id: string) => dtoOf(ctx, id),
  list: async (ctx: TenantContext, status: 'pending' | 'decided') => ({ items: await dtos(ctx, await contractRequestsRepo.list(ctx.db, { status })) }),

  /** Applies the request as asked (a rule it now breaks refuses, and it stays pending), and tells the member. */
  async approve(ctx: TenantContext, id: string) {
    const row = await pending(ctx, id);
    const body: RequestBody = row.kind === 'leave'
      ? { kind: 'leave', fromMonth: monthOf(row.from_month!), returnMonth: row.return_month ? monthOf(row.return_month) : undefined, reason: row.reason || undefined }
      : { kind: 'cancellation', reason: row.reason };
    await apply(ctx, row.contract_id, body, { asOf: row.requested_on, requestedAt: row.requested_at });
    await contractRequestsRepo.decide(ctx.db, id, { status: 'approved', decided_at: ctx.now, decided_by: staffId(ctx) });
    await tell(ctx, row.member_id, text('contracts.mail.request_approved.subject', { what: whatOf(row) }), text('contracts.mail.request_approved.body', { what: whatOf(row) }));
    return dtoOf(ctx, id);
  },

  async decline(ctx: TenantContext, id: string, reason: string) {
    const row = await pending(ctx, id);
    await contractRequestsRepo.decide(ctx.db, id, { status: 'declined', decided_at: ctx.now, decided_by: staffId(ctx), decline_reason: reason });
    await tell(ctx, row.member_id, text('contracts.mail.request_declined.subject', { what: whatOf(row) }), text('contracts.mail.request_declined.body', { what: whatOf(row), reason }));
    return dtoOf(ctx, id);
  },
};

async function pending(ctx: TenantContext, id: string) {
  const row = await contractRequestsRepo.forUpdate(ctx.db, id);
  if (!row) throw notFound('contracts.thing.request');
  if (row.status !== 'pending') throw new AppError('conflict', text('contracts.request_decided'), { reason: 'request_decided' });
  return row;
}

const approvalRequired = async (ctx: TenantContext) => (await settingsRepo.get(ctx.db))?.member_changes_need_approval ?? false;

const staffId = (ctx: TenantContext) => (ctx.principal?.kind === 'staff' ? ctx.principal.staffId : null);

/** The decision, on the member's channel and in their language (a family member's goes to their lead). */
function tell(ctx: TenantContext, memberId: string, subject: Text, body: Text) {
  return queueMemberMessages(ctx.db, [memberId], { kind: 'membership_request', subject, body: () => body }, { locale: studioLocale(ctx.tenant), timeZone: ctx.tenant.timezone, now: ctx.now });
}
