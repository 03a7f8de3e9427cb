import { AppError, notFound } from '../../platform/errors.js';
import { day, text } from '../../platform/i18n.js';
import type { Tx } from '../../platform/db/databases.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import { membersRepo } from '../members/members.repo.js';
import type { PenaltyRule } from '../../platform/db/types.js';
import { localParts } from '../../platform/calendar.js';
import type { Actor } from '../../platform/tenancy/actor.js';
import { creditsService } from '../credits/credits.service.js';
import type { StudioBookingRules } from './booking-policy.js';
import { notifyMembers, studioVoice, studioWords } from './notify.js';
import type { Reservation } from './reservations.repo.js';

const DAY = 86_400_000;

/**
 * What a late cancellation or a no-show costs, by the lesson type's rule: the credit is kept (or one is drawn
 * when the booking used none and the member has one), a fee is recorded for billing to invoice, or a strike is
 * counted, and enough strikes within the window block booking for a while. One penalty per reservation (a
 * unique key), so a rerun of the no-show job charges nothing twice. Returns what happened, for the answer. What
 * it writes for people (the ledger line, the block mail) is in the studio's language and time zone.
 */
export async function applyPenalty(
  db: Tx,
  r: Pick<Reservation, 'id' | 'member_id' | 'credits_used'>,
  reason: 'late_cancel' | 'no_show',
  rule: PenaltyRule,
  p: { fee: number; studio: StudioBookingRules; now: Date; tenant: { locale: string; timezone: string }; actor: Actor },
): Promise<{ kind: PenaltyRule; amount: number; blockedUntil?: string }> {
  const record = (kind: Exclude<PenaltyRule, 'none'>, amount: number) =>
    db
      .insertInto('app.reservation_penalties')
      .values({ reservation_id: r.id, member_id: r.member_id, reason, kind, amount, created_at: p.now })
      .onConflict((oc) => oc.columns(['tenant_id', 'reservation_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
  const timeZone = p.tenant.timezone;
  const label = studioWords(p.tenant, text(reason === 'late_cancel' ? 'reservations.penalty.late_cancel' : 'reservations.penalty.no_show'));

  switch (rule) {
    case 'none':
      return { kind: 'none', amount: 0 };
    case 'fee':
      if (p.fee <= 0) return { kind: 'none', amount: 0 };
      await record('fee', p.fee);
      return { kind: 'fee', amount: p.fee };
    case 'lose_credit': {
      if (r.credits_used > 0) {
        await record('lose_credit', r.credits_used);
        return { kind: 'lose_credit', amount: r.credits_used };
      }
      const balance = await creditsService.balance(db, r.member_id, localParts(p.now, timeZone).date);
      if (balance.available === 0 || !(await record('lose_credit', 1))) return { kind: 'none', amount: 0 };
      // Callers (cancellation, no-show marking) lock the member before the lesson.
      await creditsService.consumeOne(db, r.member_id, { referenceId: r.id, today: localParts(p.now, timeZone).date, actor: p.actor, reason: label });
      return { kind: 'lose_credit', amount: 1 };
    }
    case 'strike': {
      if (!(await record('strike', 1))) return { kind: 'none', amount: 0 };
      const since = new Date(p.now.getTime() - p.studio.strikeWindowDays * DAY);
      const { n } = await db
        .selectFrom('app.reservation_penalties')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('member_id', '=', r.member_id)
        .where('kind', '=', 'strike')
        .where('waived_at', 'is', null)
        .where('created_at', '>=', since)
        // Strikes up to the last block have been served (a lifted block too: lifting forgives, not revives).
        .where(({ eb, selectFrom }) =>
          eb('created_at', '>', eb.fn.coalesce(
            selectFrom('app.booking_blocks').select((x) => x.fn.max('starts_at').as('s')).where('member_id', '=', r.member_id),
            eb.val(new Date(0)),
          )),
        )
        .executeTakeFirstOrThrow();
      if (Number(n) < p.studio.strikeLimit) return { kind: 'strike', amount: 1 };
      const until = new Date(p.now.getTime() + p.studio.strikeBlockDays * DAY);
      await db.insertInto('app.booking_blocks').values({ member_id: r.member_id, starts_at: p.now, ends_at: until, reason: `${n} late cancellations or no-shows within ${p.studio.strikeWindowDays} days` }).execute();
      const untilDay = day(localParts(until, timeZone).date);
      await notifyMembers(
        db,
        [r.member_id],
        'booking_blocked',
        { subject: text('reservations.mail.booking_blocked.subject'), body: (name) => text('reservations.mail.booking_blocked.body', { name, count: Number(n), until: untilDay }) },
        studioVoice(p.tenant, p.now),
      );
      return { kind: 'strike', amount: 1, blockedUntil: until.toISOString() };
    }
  }
}

export const penaltiesService = {
  /** A member's penalties, newest first, and the block in force if any. */
  async forMember(ctx: TenantContext, memberId: string) {
    if (!(await membersRepo.byId(ctx.db, memberId))) throw notFound('reservations.thing.member');
    const rows = await ctx.db.selectFrom('app.reservation_penalties').selectAll().where('member_id', '=', memberId).orderBy('created_at', 'desc').limit(100).execute();
    const block = await ctx.db
      .selectFrom('app.booking_blocks')
      .select('ends_at')
      .where('member_id', '=', memberId)
      .where('lifted_at', 'is', null)
      .where('starts_at', '<=', ctx.now)
      .where('ends_at', '>', ctx.now)
      .orderBy('ends_at', 'desc')
      .executeTakeFirst();
    return {
      items: rows.map((p) => ({
        id: p.id, reservationId: p.reservation_id, reason: p.reason, kind: p.kind, amount: Number(p.amount),
        waived: p.waived_at !== null, billed: p.invoice_id !== null, createdAt: p.created_at.toISOString(),
      })),
      blockedUntil: block?.ends_at.toISOString() ?? null,
    };
  },

  /** Forgives a penalty: a kept credit comes back, a fee is not billed, a strike no longer counts. */
  async waive(ctx: TenantContext, memberId: string, penaltyId: string) {
    const penalty = await ctx.db.selectFrom('app.reservation_penalties').selectAll().where('id', '=', penaltyId).where('member_id', '=', memberId).forUpdate().executeTakeFirst();
    if (!penalty) throw notFound('reservations.thing.penalty');
    if (penalty.waived_at) throw new AppError('conflict', text('reservations.penalty_already_waived'));
    if (penalty.invoice_id) throw new AppError('conflict', text('reservations.penalty_on_invoice'));
    const actor = actorOf(ctx);
    await ctx.db.updateTable('app.reservation_penalties').set({ waived_at: ctx.now, waived_by: actor.id }).where('id', '=', penaltyId).execute();
    if (penalty.kind === 'lose_credit') await creditsService.refund(ctx.db, memberId, penalty.reservation_id, { actor, reason: studioWords(ctx.tenant, text('reservations.credit.penalty_waived')) });
    return penaltiesService.forMember(ctx, memberId);
  },

  /** Lets a blocked member book again now. */
  async liftBlocks(ctx: TenantContext, memberId: string) {
    if (!(await membersRepo.byId(ctx.db, memberId))) throw notFound('reservations.thing.member');
    await ctx.db.updateTable('app.booking_blocks').set({ lifted_at: ctx.now, lifted_by: actorOf(ctx).id }).where('member_id', '=', memberId).where('lifted_at', 'is', null).where('ends_at', '>', ctx.now).execute();
    return penaltiesService.forMember(ctx, memberId);
  },
};
