import { AppError, notFound } from '../../platform/errors.js';
import { day, render, text, type Locale } from '../../platform/i18n.js';
import type { Tx } from '../../platform/db/databases.js';
import { addMonths, firstDay, lastDay, monthOf, tenantToday } from '../../platform/calendar.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actorOf, SYSTEM, type Actor } from '../../platform/tenancy/actor.js';
import { membersRepo } from '../members/members.repo.js';
import { creditsRepo, type Lot } from './credits.repo.js';

const usable = (lot: Lot, today: string) => lot.expires_on === null || lot.expires_on >= today;

/** Draws `amount` credits from a member's usable lots, soonest-expiring first, as rows of one kind. */
async function draw(db: Tx, memberId: string, amount: number, today: string, row: { kind: 'adjust'; reason: string; actor: Actor }) {
  await creditsRepo.lockMember(db, memberId);
  const lots = (await creditsRepo.openLots(db, [memberId])).filter((l) => usable(l, today));
  const available = lots.reduce((s, l) => s + l.remaining, 0);
  if (available < amount) {
    throw new AppError('unprocessable', text('contracts.credits.not_enough', { available, needed: amount }), { creditsAvailable: available });
  }
  let left = amount;
  const rows = [];
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(left, lot.remaining);
    left -= take;
    rows.push({
      member_id: memberId,
      kind: row.kind,
      amount: -take,
      lot_id: lot.id,
      contract_id: lot.contract_id,
      reference_id: null,
      reason: row.reason,
      actor_kind: row.actor.kind,
      actor_id: row.actor.id,
    });
  }
  return creditsRepo.insert(db, rows);
}

const encodeCursor = (row: { cursor_at: string; id: string }) => Buffer.from(`${row.cursor_at}|${row.id}`).toString('base64url');
function decodeCursor(cursor: string) {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!at || !id || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(at) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new AppError('validation_failed', text('contracts.credits.bad_cursor'));
  }
  return { at, id };
}

/** Writes off what is left of each lot, as expiry rows by the system. */
const expire = (db: Tx, lots: Lot[], reason: (lot: Lot) => string) =>
  creditsRepo.insert(db, lots.map((l) => ({ member_id: l.member_id, kind: 'expire' as const, amount: -l.remaining, lot_id: l.id, contract_id: l.contract_id, reason: reason(l), actor_kind: 'system' as const })));

const toLot = (l: Lot) => ({ id: l.id, kind: l.kind, granted: l.granted, remaining: l.remaining, expiresOn: l.expires_on, contractId: l.contract_id });

export const creditsService = {
  /** Credits a member can use today, and the lots they come from. */
  async balance(db: Tx, memberId: string, today: string) {
    const lots = (await creditsRepo.openLots(db, [memberId])).filter((l) => usable(l, today));
    return { available: lots.reduce((s, l) => s + l.remaining, 0), lots: lots.map(toLot) };
  },

  /**
   * For the reservation engine: spends one credit (a booking, a penalty) in the caller's transaction, which holds
   * the member lock, or refuses with a clear problem. One statement: on the booking path each round trip counts.
   */
  consumeOne: async (db: Tx, memberId: string, p: { referenceId: string; today: string; actor: Actor; reason: string }) => {
    const rows = await creditsRepo.spendOne(db, memberId, p.today, { referenceId: p.referenceId, reason: p.reason, actorKind: p.actor.kind, actorId: p.actor.id });
    if (rows.length === 0) throw new AppError('unprocessable', text('contracts.credits.not_enough', { available: 0, needed: 1 }), { creditsAvailable: 0 });
    return rows;
  },

  /**
   * Gives back what a reference consumed, to the lots it came from; a second refund of it gives nothing (the
   * caller's state change, a reservation's status, decides once, and a unique index backs it). It takes no member
   * lock: a refund only adds, so it cannot overdraw a lot, and cancellations that hold a lesson lock must not wait
   * on a member a booking holds. A refund onto a lot expiring meanwhile is expired by the next expiry run.
   */
  async refund(db: Tx, memberId: string, referenceId: string, p: { actor: Actor; reason: string }) {
    const net = await creditsRepo.consumptionsFor(db, memberId, referenceId);
    const rows = net
      .filter((n) => n.amount < 0)
      .map((n) => ({
        member_id: memberId,
        kind: 'refund' as const,
        amount: -n.amount,
        lot_id: n.lot_id,
        reference_id: referenceId,
        reason: p.reason,
        actor_kind: p.actor.kind,
        actor_id: p.actor.id,
      }));
    return creditsRepo.insert(db, rows);
  },

  /**
   * Expires what is left when memberships end (every lot of those members) or when only a contract ends while
   * another runs on (that contract's lots). Members are locked by the caller. Returns how many per member.
   * `locale`: the studio's language, for the reason the ledger keeps.
   */
  async expireOnEnd(db: Tx, ends: { members: string[]; contracts: string[] }, locale: Locale): Promise<Map<string, number>> {
    const whole = new Set(ends.members);
    const contracts = new Set(ends.contracts);
    const lots = (await creditsRepo.openLots(db, [...new Set([...ends.members, ...(await creditsRepo.membersOfContracts(db, ends.contracts))])])).filter(
      (l) => whole.has(l.member_id) || (l.contract_id !== null && contracts.has(l.contract_id)),
    );
    const [membershipEnded, contractEnded] = (['contracts.credits.reason.membership_ended', 'contracts.credits.reason.contract_ended'] as const).map((id) => render(text(id), locale));
    await expire(db, lots, (l) => (whole.has(l.member_id) ? membershipEnded! : contractEnded!));
    const out = new Map<string, number>();
    for (const l of lots) out.set(l.member_id, (out.get(l.member_id) ?? 0) + l.remaining);
    return out;
  },

  /**
   * Records the expiry of lots past their date, a batch at a time; returns how many lots. The members are locked
   * and their lots read again, so a booking spending the same credits meanwhile cannot make a lot go negative.
   */
  async expireDue(db: Tx, today: string, locale: Locale, limit = 1000) {
    const candidates = await creditsRepo.expiredLots(db, today, limit);
    if (candidates.length === 0) return 0;
    const memberIds = [...new Set(candidates.map((l) => l.member_id))];
    await creditsRepo.lockMembers(db, memberIds);
    const lots = (await creditsRepo.openLots(db, memberIds)).filter((l) => l.expires_on !== null && l.expires_on < today);
    await expire(db, lots, (l) => render(text('contracts.credits.reason.expired', { on: day(l.expires_on!) }), locale));
    return lots.length;
  },

  /**
   * This month's carry-over and monthly grants (carry-over first: it reads last month before it expires).
   * `locale`: the studio's language, for the reasons the ledger keeps.
   */
  async grantDue(db: Tx, today: string, locale: Locale, opts: { contractIds?: string[]; limit?: number } = {}) {
    const month = monthOf(today);
    const common = { month, monthStart: firstDay(month), monthEnd: lastDay(month), contractIds: opts.contractIds, limit: opts.limit ?? 1000 };
    const carryover = render(text('contracts.credits.reason.carryover'), locale);
    // A month is written from its 15th, which falls in the same month in any time zone.
    const monthly = render(text('contracts.credits.reason.monthly', { month: day(`${month}-15`) }), locale);
    const carried = await creditsRepo.grantCarryover(db, { ...common, previousEnd: lastDay(addMonths(month, -1)), reason: carryover });
    const granted = await creditsRepo.grantMonthly(db, { ...common, today, reason: monthly });
    return carried.rows.length + granted.rows.length;
  },

  /** A keyed grant (a pack, a contract's start credits): granting twice with one key grants once. */
  grant: (db: Tx, g: { memberId: string; amount: number; expiresOn: string | null; contractId: string | null; grantKey: string; reason: string; actor?: Actor }) =>
    creditsRepo.insertKeyed(db, [
      {
        member_id: g.memberId,
        kind: 'grant',
        amount: g.amount,
        expires_on: g.expiresOn,
        contract_id: g.contractId,
        grant_key: g.grantKey,
        reason: g.reason,
        actor_kind: (g.actor ?? SYSTEM).kind,
        actor_id: (g.actor ?? SYSTEM).id,
      },
    ]),

  async overview(ctx: TenantContext, memberId: string, q: { before?: string; limit: number }) {
    if (!(await membersRepo.byId(ctx.db, memberId))) throw notFound('members.thing.member');
    const today = tenantToday(ctx);
    const balance = await creditsService.balance(ctx.db, memberId, today);
    const rows = await creditsRepo.page(ctx.db, memberId, q.before ? decodeCursor(q.before) : undefined, q.limit + 1);
    const page = rows.slice(0, q.limit);
    return {
      ...balance,
      ledger: page.map((r) => ({
        id: r.id,
        kind: r.kind,
        amount: r.amount,
        lotId: r.lot_id,
        expiresOn: r.expires_on,
        contractId: r.contract_id,
        referenceId: r.reference_id,
        reason: r.reason,
        actor: { kind: r.actor_kind, id: r.actor_id },
        createdAt: r.created_at.toISOString(),
      })),
      nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!) : null,
    };
  },

  /** Staff corrections: a positive amount is a new lot (with an expiry), a negative one draws like a booking. */
  async adjust(ctx: TenantContext, memberId: string, input: { amount: number; reason: string; expiresOn?: string }) {
    if (!(await membersRepo.byId(ctx.db, memberId))) throw notFound('members.thing.member');
    const today = tenantToday(ctx);
    const actor = actorOf(ctx);
    if (input.amount > 0) {
      if (input.expiresOn && input.expiresOn < today) throw new AppError('validation_failed', text('contracts.credits.expires_in_past'));
      await creditsRepo.lockMember(ctx.db, memberId);
      await creditsRepo.insert(ctx.db, [
        { member_id: memberId, kind: 'grant', amount: input.amount, expires_on: input.expiresOn ?? null, reason: input.reason, actor_kind: actor.kind, actor_id: actor.id },
      ]);
    } else {
      await draw(ctx.db, memberId, -input.amount, today, { kind: 'adjust', reason: input.reason, actor });
    }
    return creditsService.overview(ctx, memberId, { limit: 20 });
  },
};
