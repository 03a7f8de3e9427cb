import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import type { TenantTransaction } from '../../platform/tenancy/job-context.js';
import { actingMemberId } from '../members/acting-member.js';
import { inQuietHours } from '../../platform/calendar.js';
import { policyOf, studioRulesOf, windowOf } from './booking-policy.js';
import { lockMember } from './eligibility.js';
import { describeLesson, notifyMembers, studioVoice, studioWords, type StudioUrl } from './notify.js';
import { reservationsRepo, waitlistRepo, type WaitlistEntry } from './reservations.repo.js';
import { reserve, toReservation, toWaitlistEntry } from './reservations.service.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

type Step = 'again' | 'done';

/**
 * One step of filling a lesson's held seats from its waitlist, in one transaction: close the waitlist once
 * booking has closed, claim a seat that came free, promote the next in line automatically while enough time
 * remains, or else offer them the seat for a limited time (not during quiet hours). Each step locks the member,
 * then the lesson, then re-reads the entry, and every state it moves is in the database, so a crash between
 * steps loses nothing and a rerun promotes nobody twice.
 */
async function promotionStep(ctx: TenantContext, lessonId: string, run: PromotionRun): Promise<Step> {
  const { tally } = run;
  const lesson = await reservationsRepo.lesson(ctx.db, lessonId);
  if (!lesson || lesson.status !== 'scheduled') return 'done';
  const studio = studioRulesOf(lesson.studio_settings);
  const policy = policyOf(studio, lesson);
  const window = windowOf(lesson.starts_at, policy, ctx.tenant.timezone);

  if (ctx.now >= window.closesAt) {
    await reservationsRepo.lockLesson(ctx.db, lessonId);
    const open = await waitlistRepo.openOn(ctx.db, [lessonId]);
    await waitlistRepo.resolve(ctx.db, open.map((e) => e.id), 'released', ctx.now, { note: studioWords(ctx.tenant, text('reservations.note.booking_closed')) });
    await ctx.db.updateTable('app.lessons').set({ held: 0 }).where('id', '=', lessonId).execute();
    tally.released += open.length;
    return 'done';
  }

  // Who is next decides which member to lock; every count is then read again under the locks (member →
  // lesson → entry), since another promotion may have moved them meanwhile.
  const candidate = await waitlistRepo.next(ctx.db, lessonId);
  if (candidate) await lockMember(ctx.db, candidate.member_id);
  const locked = (await reservationsRepo.lockLesson(ctx.db, lessonId))!;
  const offers = await waitlistRepo.openOffers(ctx.db, lessonId);
  const entry = candidate ? await waitlistRepo.byIdForUpdate(ctx.db, candidate.id) : undefined;
  if (entry && entry.status !== 'waiting') return 'again';
  if (locked.held - offers <= 0) {
    // A seat on sale while people wait (freed when nobody waited, or someone joined meanwhile): claim it.
    if (!entry || locked.booked + locked.held >= locked.capacity) return 'done';
    await reservationsRepo.adjustSeats(ctx.db, lessonId, { held: 1 });
    return 'again';
  }
  if (!entry) {
    // Nobody left in line: the held seats go back on sale.
    await reservationsRepo.adjustSeats(ctx.db, lessonId, { held: offers - locked.held });
    // Whoever this run passed over (no credit, a limit …) may book it now, once they have put that right.
    const lessonNamed = describeLesson(lesson);
    await notifyMembers(
      ctx.db,
      run.skipped.splice(0),
      'seat_freed',
      {
        subject: text('reservations.mail.seat_freed.subject', { lesson: lessonNamed }),
        body: (name) => text('reservations.mail.seat_freed.body', { name, lesson: lessonNamed }),
        link: `${run.tenantUrl(ctx.tenant)}/member`,
        optional: true,
        until: lesson.starts_at,
      },
      studioVoice(ctx.tenant, ctx.now),
    );
    return 'done';
  }

  const automatic = lesson.starts_at.getTime() - ctx.now.getTime() > studio.waitlistAutoUntilHours * HOUR;
  const lessonNamed = describeLesson(lesson);
  const voice = studioVoice(ctx.tenant, ctx.now);

  if (!automatic) {
    if (inQuietHours(ctx.now, studio.quietHours, ctx.tenant.timezone)) return 'done';
    const expiresAt = new Date(Math.min(ctx.now.getTime() + studio.waitlistOfferMinutes * MINUTE, window.closesAt.getTime()));
    await waitlistRepo.offer(ctx.db, entry.id, ctx.now, expiresAt);
    await notifyMembers(
      ctx.db,
      [entry.member_id],
      'waitlist_offer',
      {
        subject: text('reservations.mail.waitlist_offer.subject', { lesson: lessonNamed }),
        body: (name) => text('reservations.mail.waitlist_offer.body', { name, lesson: lessonNamed, expiresAt }),
        // Opens the member's bookings at this offer, with its Accept button.
        link: `${run.tenantUrl(ctx.tenant)}/member/bookings?offer=${entry.id}`,
      },
      voice,
    );
    tally.offered += 1;
    return 'again';
  }

  await sql`savepoint promotion`.execute(ctx.db);
  try {
    const reservation = await reserve(ctx, { ...lesson, booked: locked.booked, held: locked.held }, entry.member_id, { spot: null, source: 'waitlist', fromHeld: true });
    await waitlistRepo.resolve(ctx.db, [entry.id], 'promoted', ctx.now, { reservation_id: reservation.id });
    await notifyMembers(
      ctx.db,
      [entry.member_id],
      'waitlist_promoted',
      { subject: text('reservations.mail.waitlist_promoted.subject', { lesson: lessonNamed }), body: (name) => text('reservations.mail.waitlist_promoted.body', { name, lesson: lessonNamed }) },
      voice,
    );
    tally.promoted += 1;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    // Not eligible now (no credit left, a limit reached, on leave …): the seat goes to the next in line.
    await sql`rollback to savepoint promotion`.execute(ctx.db);
    await waitlistRepo.resolve(ctx.db, [entry.id], 'skipped', ctx.now, { note: studioWords(ctx.tenant, error.detail).slice(0, 500) });
    await notifyMembers(
      ctx.db,
      [entry.member_id],
      'waitlist_skipped',
      {
        subject: text('reservations.mail.waitlist_skipped.subject', { lesson: lessonNamed }),
        body: (name) => text('reservations.mail.waitlist_skipped.body', { name, lesson: lessonNamed, reason: error.detail }),
      },
      voice,
    );
    tally.skipped += 1;
    run.skipped.push(entry.member_id);
  }
  return 'again';
}

interface PromotionRun {
  tally: Record<'promoted' | 'offered' | 'skipped' | 'released', number>;
  /** Members this run passed over, told if their seat then goes on sale (in the step that puts it there). */
  skipped: string[];
  tenantUrl: StudioUrl;
}

/** Fills a lesson's held seats from its waitlist, step by step, each step its own transaction. */
export async function promoteWaitlist(transaction: TenantTransaction, lessonId: string, tenantUrl: StudioUrl) {
  const run: PromotionRun = { tally: { promoted: 0, offered: 0, skipped: 0, released: 0 }, skipped: [], tenantUrl };
  for (let i = 0; i < 10_000; i += 1) {
    if ((await transaction((ctx) => promotionStep(ctx, lessonId, run))) === 'done') break;
  }
  return run.tally;
}

async function ownEntry(ctx: TenantContext, entryId: string) {
  const entry = await waitlistRepo.byId(ctx.db, entryId);
  if (!entry) throw notFound('reservations.thing.waitlist_entry');
  await actingMemberId(ctx, entry.member_id);
  return entry;
}

const withPosition = async (ctx: TenantContext, e: WaitlistEntry) => toWaitlistEntry(e, e.status === 'waiting' ? await waitlistRepo.position(ctx.db, e) : null);

export const waitlistService = {
  get: async (ctx: TenantContext, entryId: string) => withPosition(ctx, await ownEntry(ctx, entryId)),

  async listForMember(ctx: TenantContext, memberId: string) {
    const rows = await waitlistRepo.listForMember(ctx.db, memberId);
    return {
      items: await Promise.all(
        rows.map(async (e) => ({ ...(await withPosition(ctx, e)), lesson: { startsAt: e.starts_at.toISOString(), endsAt: e.ends_at.toISOString(), lessonTypeName: e.lesson_type_name } })),
      ),
    };
  },

  /** Takes an offered seat: judged like a booking (credit, limits), from the seat held for it. */
  async accept(ctx: TenantContext, entryId: string) {
    const found = await ownEntry(ctx, entryId);
    await lockMember(ctx.db, found.member_id);
    const locked = (await reservationsRepo.lockLesson(ctx.db, found.lesson_id))!;
    const entry = (await waitlistRepo.byIdForUpdate(ctx.db, entryId))!;
    if (entry.status !== 'offered' || entry.offer_expires_at! <= ctx.now) {
      throw new AppError(
        'conflict',
        entry.status === 'offered' || entry.status === 'expired'
          ? text('reservations.offer_lapsed')
          : text('reservations.entry_not_offered', { status: text('reservations.waitlist_status', { status: entry.status }) }),
        { reason: 'no_offer' },
      );
    }
    const lesson = (await reservationsRepo.lesson(ctx.db, entry.lesson_id))!;
    if (lesson.status !== 'scheduled' || lesson.starts_at <= ctx.now) throw new AppError('conflict', text('reservations.offer_lesson_gone'), { reason: 'no_offer' });
    const reservation = await reserve(ctx, { ...lesson, booked: locked.booked, held: locked.held }, entry.member_id, { spot: null, source: 'waitlist', fromHeld: true });
    const [resolved] = await waitlistRepo.resolve(ctx.db, [entry.id], 'promoted', ctx.now, { reservation_id: reservation.id });
    return { reservation: toReservation(reservation), waitlistEntry: toWaitlistEntry(resolved!, null) };
  },

  /** Leaves the line (or turns an offer down): an offered seat goes to the next in line. */
  async leave(ctx: TenantContext, entryId: string) {
    const found = await ownEntry(ctx, entryId);
    await reservationsRepo.lockLesson(ctx.db, found.lesson_id);
    const entry = (await waitlistRepo.byIdForUpdate(ctx.db, entryId))!;
    if (entry.status !== 'waiting' && entry.status !== 'offered') throw new AppError('conflict', text('reservations.entry_already', { status: text('reservations.waitlist_status', { status: entry.status }) }), { reason: 'not_waiting' });
    const [resolved] = await waitlistRepo.resolve(ctx.db, [entry.id], entry.status === 'offered' ? 'declined' : 'left', ctx.now);
    if (entry.status === 'offered') ctx.queueAfterCommit?.('waitlist_promote', { tenantId: ctx.tenant.id, lessonId: entry.lesson_id });
    return toWaitlistEntry(resolved!, null);
  },

  /** The lesson's line, for staff. */
  async forLesson(ctx: TenantContext, lessonId: string) {
    const rows = await waitlistRepo.forLesson(ctx.db, lessonId);
    let position = 0;
    return rows.map((e) => ({ ...toWaitlistEntry(e, e.status === 'waiting' ? ++position : null), memberName: `${e.family_name} ${e.given_name}`, memberNumber: e.member_number }));
  },
};

/** Offers past their time lapse; their lessons need the next person. Returns the lessons. */
export async function expireOffers(ctx: TenantContext, limit = 500) {
  const due = await ctx.db.selectFrom('app.waitlist_entries').select(['id', 'lesson_id']).where(sql<boolean>`status = 'offered'`).where('offer_expires_at', '<=', ctx.now).orderBy('offer_expires_at').limit(limit).execute();
  const lapsed = await waitlistRepo.resolve(ctx.db, due.map((e) => e.id), 'expired', ctx.now, { note: studioWords(ctx.tenant, text('reservations.note.offer_lapsed')) });
  await notifyMembers(
    ctx.db,
    lapsed.map((e) => e.member_id),
    'waitlist_offer_lapsed',
    { subject: text('reservations.mail.waitlist_offer_lapsed.subject'), body: (name) => text('reservations.mail.waitlist_offer_lapsed.body', { name }) },
    studioVoice(ctx.tenant, ctx.now),
  );
  return [...new Set(lapsed.map((e) => e.lesson_id))];
}
