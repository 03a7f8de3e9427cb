import { sql } from 'kysely';
import { AppError, notFound, refusal } from '../../platform/errors.js';
import { render, studioLocale, text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { membersRepo } from '../members/members.repo.js';
import { memberAccountsRepo } from '../members/member-accounts.repo.js';
import { reservationsService } from '../reservations/reservations.service.js';
import { waitlistRepo } from '../reservations/reservations.repo.js';
import { waitingRoomRepo } from '../reservations/waiting-room.repo.js';
import { MEMBER_TABLES, privacyRepo, readable, type RequestRow } from './privacy.repo.js';

/**
 * What an erased member is called everywhere (the member list, invoices, exports): "削除済み会員 #12", in the
 * studio's language, stored like the other words the studio keeps. The invoice trigger of migration 0016 lets an
 * issued invoice's name change to exactly the erased member's name, and to nothing else.
 */
export const erasedName = (ctx: TenantContext, memberNumber: number) =>
  render(text('privacy.erased_name', { number: memberNumber }), studioLocale(ctx.tenant), ctx.tenant.timezone);

/** Words a staff member wrote that could name the person; a reason that must not be empty gets this instead. */
const ERASED_TEXT = '-';

const toRequest = (r: RequestRow) => ({
  id: r.id,
  memberId: r.member_id,
  memberNumber: r.member_number,
  memberName: `${r.family_name} ${r.given_name}`.trim(),
  kind: r.kind,
  status: r.status,
  requestedAt: r.requested_at.toISOString(),
  decidedAt: r.decided_at?.toISOString() ?? null,
  declineReason: r.decline_reason,
});

function staffId(ctx: TenantContext) {
  return ctx.principal?.kind === 'staff' ? ctx.principal.staffId : null;
}

function ownMemberId(ctx: TenantContext) {
  if (ctx.principal?.kind !== 'member') throw new AppError('forbidden', text('members.acting_member_only'));
  return ctx.principal.memberId;
}

async function memberOrThrow(ctx: TenantContext, memberId: string, forUpdate = false) {
  const member = forUpdate ? await membersRepo.byIdForUpdate(ctx.db, memberId) : await membersRepo.byId(ctx.db, memberId);
  if (!member) throw notFound('members.thing.member');
  return member;
}

/** Everything the studio holds about one member, as one readable document (what APPI art. 33 and GDPR art. 15/20 ask). */
async function exportOf(ctx: TenantContext, memberId: string) {
  const member = await memberOrThrow(ctx, memberId);
  const [account] = await privacyRepo.rowsOf(ctx.db, 'app.member_accounts', 'member_id', [memberId]);
  const rows = Object.fromEntries(
    await Promise.all(
      Object.entries(MEMBER_TABLES).map(async ([name, [table, column]]) => [name, await privacyRepo.rowsOf(ctx.db, table, column, [memberId])] as const),
    ),
  ) as Record<keyof typeof MEMBER_TABLES, Record<string, unknown>[]>;
  const contractIds = rows.contracts.map((c) => c.id as string);
  const invoiceIds = rows.invoices.map((i) => i.id as string);
  const [plans, options, leaves, lines, payments, refunds, family, mails, requests] = await Promise.all([
    privacyRepo.rowsOf(ctx.db, 'app.contract_plans', 'contract_id', contractIds),
    privacyRepo.rowsOf(ctx.db, 'app.contract_options', 'contract_id', contractIds),
    privacyRepo.rowsOf(ctx.db, 'app.contract_leaves', 'contract_id', contractIds),
    privacyRepo.rowsOf(ctx.db, 'app.invoice_lines', 'invoice_id', invoiceIds),
    privacyRepo.rowsOf(ctx.db, 'app.payment_attempts', 'invoice_id', invoiceIds),
    privacyRepo.rowsOf(ctx.db, 'app.refunds', 'invoice_id', invoiceIds),
    ctx.db
      .selectFrom('app.members')
      .select(['id', 'member_number', 'family_name', 'given_name', 'family_lead_id'])
      .where((eb) => eb.or([eb('family_lead_id', '=', memberId), ...(member.family_lead_id ? [eb('id', '=', member.family_lead_id)] : [])]))
      .execute(),
    // As the erasure finds them: about the member, or to any address of theirs (mail, LINE, their devices).
    privacyRepo.messagesOf(ctx.db, member.id, [
      ...new Set([member.email, account?.email as string | undefined, rows.lineLink[0]?.line_user_id as string | undefined, member.id].filter((a): a is string => !!a)),
    ]),
    privacyRepo.requests(ctx.db, { memberId }),
  ]);
  const of = (list: Record<string, unknown>[], key: string, id: unknown) => list.filter((r) => r[key] === id).map(readable);
  return {
    format: 'studiohive.member-data.v1' as const,
    exportedAt: ctx.now.toISOString(),
    studio: ctx.tenant.display_name,
    profile: readable(member as unknown as Record<string, unknown>),
    account: account ? readable(account) : null,
    consent: { termsVersion: member.terms_version, termsAcceptedAt: member.terms_accepted_at?.toISOString() ?? null, signedUpAt: account ? (account.created_at as Date).toISOString() : null },
    family: {
      lead: family.filter((f) => f.id === member.family_lead_id).map(readable)[0] ?? null,
      members: family.filter((f) => f.family_lead_id === memberId).map(readable),
    },
    contracts: rows.contracts.map((c) => ({ ...readable(c), plans: of(plans, 'contract_id', c.id), options: of(options, 'contract_id', c.id), leaves: of(leaves, 'contract_id', c.id) })),
    statusHistory: rows.statusHistory.map(readable),
    scheduledStatusChanges: rows.scheduledStatusChanges.map(readable),
    credits: rows.credits.map(readable),
    reservations: rows.reservations.map(readable),
    waitlist: rows.waitlist.map(readable),
    penalties: rows.penalties.map(readable),
    bookingBlocks: rows.bookingBlocks.map(readable),
    checkIns: rows.checkIns.map(readable),
    savedCards: rows.savedCards.map(readable),
    invoices: rows.invoices.map((i) => ({ ...readable(i), lines: of(lines, 'invoice_id', i.id), payments: of(payments, 'invoice_id', i.id), refunds: of(refunds, 'invoice_id', i.id) })),
    mails: mails.map(readable),
    messagePreferences: rows.messagePreferences.map(readable),
    lineLink: rows.lineLink.map(readable)[0] ?? null,
    notificationDevices: rows.notificationDevices.map(readable),
    favouriteSeries: rows.favouriteSeries.map(readable),
    bookingOpensNotices: rows.bookingOpensNotices.map(readable),
    contractRequests: rows.contractRequests.map(readable),
    dataRequests: requests.map(toRequest),
  };
}

/**
 * Erases a member: everything that says who they were goes (anonymised in place, or deleted where nothing else
 * needs the row), while what the books need stays: invoices with their numbers, dates, amounts and tax, payments,
 * refunds, the ledger, visits and bookings as counts. Refused while a monthly contract still runs, an invoice is
 * unpaid or the member leads a family: the studio settles those first, or it would need the person again.
 */
async function erase(ctx: TenantContext, memberId: string) {
  const member = await memberOrThrow(ctx, memberId, true);
  if (member.erased_at) throw new AppError('conflict', text('privacy.already_erased'), { reason: 'already_erased' });
  const b = await privacyRepo.blockers(ctx.db, memberId);
  if (b.runningContracts + b.unpaidInvoices + b.familyMembers > 0) {
    throw refusal('erasure_blocked', text('privacy.erasure_blocked', b), { blockers: b });
  }
  const db = ctx.db;

  // Future bookings go as a staff cancellation would (no penalty), so their seats reach the waitlist.
  const bookings = await privacyRepo.futureBookings(db, memberId, ctx.now);
  for (const r of bookings) await reservationsService.cancel(ctx, r.id, { byMember: false, waivePenalty: true });
  const waiting = await privacyRepo.openWaitlist(db, memberId);
  await waitlistRepo.resolve(db, waiting.map((w) => w.id), 'left', ctx.now, { note: '' });
  for (const w of waiting.filter((e) => e.status === 'offered')) ctx.queueAfterCommit?.('waitlist_promote', { tenantId: ctx.tenant.id, lessonId: w.lesson_id });
  // The lesson series they followed say who they are as much as a name.
  await db.deleteFrom('app.favourites').where('member_id', '=', memberId).execute();
  await db.deleteFrom('app.booking_window_notices').where('member_id', '=', memberId).execute();
  await waitingRoomRepo.leaveAll(db, memberId);

  // The account: no sign-in, no sessions, no mailed links, no record of its sign-in attempts.
  const account = await memberAccountsRepo.byMemberId(db, memberId);
  const addresses = [...new Set([member.email, account?.email].filter((a): a is string => !!a))];
  if (account) {
    await db.deleteFrom('app.member_sessions').where('account_id', '=', account.id).execute();
    await db.deleteFrom('app.member_account_tokens').where('account_id', '=', account.id).execute();
    await db.deleteFrom('app.login_attempts').where('realm', '=', 'member').where('email', '=', account.email).execute();
    await db.deleteFrom('app.member_accounts').where('id', '=', account.id).execute();
  }
  // Messages about the member (to them, or to their family lead) and to their addresses, on every channel; and the
  // ways they were reached (LINE, their devices) and their choices about it.
  // A message about a family member reached a lead at the lead's own address: their mail, their LINE user id, or
  // (for push) their member id.
  const line = await db.selectFrom('app.member_line_links').select('line_user_id').where('member_id', '=', memberId).executeTakeFirst();
  const reachedAt = [...addresses, ...(line ? [line.line_user_id] : []), memberId];
  const mails = await db
    .deleteFrom('app.outbox')
    .where((eb) => eb.or([eb('member_id', '=', memberId), eb('recipient_id', '=', memberId), eb('to_address', 'in', reachedAt)]))
    .executeTakeFirst();
  await db.deleteFrom('app.member_line_links').where('member_id', '=', memberId).execute();
  await db.deleteFrom('app.line_link_nonces').where('member_id', '=', memberId).execute();
  await db.deleteFrom('app.push_subscriptions').where('member_id', '=', memberId).execute();
  await db.deleteFrom('app.message_preferences').where('member_id', '=', memberId).execute();
  // A bounce or complaint kept of their address names them.
  if (addresses.length) await db.deleteFrom('app.undeliverable_addresses').where('address', 'in', addresses.map((a) => a.toLowerCase())).execute();

  // A saved card is of no use any more: it is detached and its gateway reference and digits are forgotten.
  const cards = await db
    .updateTable('app.payment_methods')
    .set({ detached_at: sql`coalesce(detached_at, ${ctx.now})`, token: 'erased', customer_ref: null, last4: '0000', brand: 'card' })
    .where('member_id', '=', memberId)
    .executeTakeFirst();

  // Words staff wrote about the member may name them.
  // The append-only history and credit ledger let exactly this through while app.erasure is on (migration 0016).
  await sql`select set_config('app.erasure', 'on', true)`.execute(db);
  await db.updateTable('app.member_status_events').set({ reason: '' }).where('member_id', '=', memberId).where('reason', '<>', '').execute();
  await db.updateTable('app.credit_ledger').set({ reason: '' }).where('member_id', '=', memberId).where('reason', '<>', '').execute();
  // The audit log keeps who did what; the before/after of writes about the member goes (migration 0017).
  const traces = [memberId, ...addresses, member.phone].filter((t): t is string => !!t);
  await db
    .updateTable('app.audit_log')
    .set({ changes: JSON.stringify({ erased: true }) })
    .where('changes', 'is not', null)
    .where((eb) => eb.or([eb(sql`params ->> 'memberId'`, '=', memberId), ...traces.map((t) => eb(sql`strpos(changes::text, ${t})`, '>', 0))]))
    .where(sql<boolean>`changes <> '{"erased": true}'::jsonb`)
    .execute();
  await sql`select set_config('app.erasure', 'off', true)`.execute(db);
  await db.updateTable('app.member_status_changes').set({ reason: '' }).where('member_id', '=', memberId).execute();
  await db.updateTable('app.waitlist_entries').set({ note: '' }).where('member_id', '=', memberId).execute();
  await db.updateTable('app.booking_blocks').set({ reason: ERASED_TEXT }).where('member_id', '=', memberId).execute();
  await db.updateTable('app.contracts').set({ cancel_reason: sql`case when cancel_reason is null then null else '' end` }).where('member_id', '=', memberId).execute();
  const contractIds = db.selectFrom('app.contracts').select('id').where('member_id', '=', memberId);
  await db.updateTable('app.contract_leaves').set({ reason: '' }).where('contract_id', 'in', contractIds).execute();
  // Their requests keep what was decided without their words; one still waiting is withdrawn with them.
  await db
    .updateTable('app.contract_requests')
    .set({
      reason: '',
      decline_reason: sql`case when decline_reason is null then null else ${ERASED_TEXT} end`,
      status: sql`case when status = 'pending' then 'withdrawn' else status end`,
      decided_at: sql`coalesce(decided_at, ${ctx.now}::timestamptz)`,
    })
    .where('member_id', '=', memberId)
    .execute();
  const invoiceIds = db.selectFrom('app.invoices').select('id').where('billing_member_id', '=', memberId);
  await db.updateTable('app.refunds').set({ reason: ERASED_TEXT }).where('invoice_id', 'in', invoiceIds).execute();

  // Stored answers of retried requests may repeat the profile (a check-in answer names the member, a family
  // change shows the lead): any answer naming the member's id or contacts goes, and its key with it.
  for (const t of traces) await db.deleteFrom('app.idempotency_keys').where(sql<boolean>`strpos(response::text, ${t}) > 0`).execute();

  const marker = erasedName(ctx, member.member_number);
  await db
    .updateTable('app.members')
    .set({
      family_name: marker, given_name: '', family_name_kana: '', given_name_kana: '', email: null, phone: null, birth_date: null, gender: null,
      address: null, emergency_contact: null, tags: [], staff_notes: '', erased_at: ctx.now, updated_at: ctx.now,
    })
    .where('id', '=', memberId)
    .execute();
  // After erased_at is set: the invoice trigger lets exactly this change through, and only for an erased member.
  const invoices = await db.updateTable('app.invoices').set({ recipient_name: marker, void_reason: sql`case when void_reason is null then null else '' end` }).where('billing_member_id', '=', memberId).executeTakeFirst();

  const pending = await privacyRepo.pendingFor(db, memberId);
  if (pending) await privacyRepo.decide(db, pending.id, { status: 'completed', at: ctx.now, by: staffId(ctx) });

  const n = (x: bigint | undefined) => Number(x ?? 0n);
  return {
    memberNumber: member.member_number,
    erased: [
      { what: 'profile', count: 1 },
      { what: 'account', count: account ? 1 : 0 },
      { what: 'mails', count: n(mails.numDeletedRows) },
      { what: 'cards', count: n(cards.numUpdatedRows) },
    ],
    cancelled: [
      { what: 'bookings', count: bookings.length },
      { what: 'waitlist', count: waiting.length },
    ],
    kept: [
      { what: 'invoices', count: n(invoices.numUpdatedRows) },
      { what: 'contracts', count: (await contractIds.execute()).length },
    ],
    erasedAt: ctx.now.toISOString(),
  };
}

export const privacyService = {
  export: (ctx: TenantContext, memberId: string) => exportOf(ctx, memberId),
  exportMine: (ctx: TenantContext) => exportOf(ctx, ownMemberId(ctx)),

  erase,

  async stateOf(ctx: TenantContext, memberId: string) {
    const member = await memberOrThrow(ctx, memberId);
    return { erasedAt: member.erased_at?.toISOString() ?? null, requests: (await privacyRepo.requests(ctx.db, { memberId })).map(toRequest) };
  },

  pending: async (ctx: TenantContext) => ({ items: (await privacyRepo.requests(ctx.db, { status: 'pending' })).map(toRequest) }),

  async decline(ctx: TenantContext, memberId: string, reason: string) {
    await memberOrThrow(ctx, memberId, true);
    const pending = await privacyRepo.pendingFor(ctx.db, memberId);
    if (!pending) throw new AppError('conflict', text('privacy.nothing_pending'), { reason: 'nothing_pending' });
    await privacyRepo.decide(ctx.db, pending.id, { status: 'declined', at: ctx.now, by: staffId(ctx), reason });
    return privacyService.stateOf(ctx, memberId);
  },

  mine: async (ctx: TenantContext) => ({ items: (await privacyRepo.requests(ctx.db, { memberId: ownMemberId(ctx) })).map(toRequest) }),

  /** A member asks for erasure; asking again while a request waits finds that one. */
  async ask(ctx: TenantContext) {
    const memberId = ownMemberId(ctx);
    await memberOrThrow(ctx, memberId, true);
    if (!(await privacyRepo.pendingFor(ctx.db, memberId))) await privacyRepo.ask(ctx.db, memberId, ctx.now);
    return privacyService.mine(ctx);
  },
};
