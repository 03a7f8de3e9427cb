/**
 * Charging invoices and recording what happened. An attempt row is committed (pending) before the gateway is
 * called, and the call carries the attempt's id as its idempotency key, so every path that finds a pending
 * attempt (the run after a crash, reconciliation, a webhook) may ask the gateway again and settle it once.
 */
import { sql, type Insertable } from 'kysely';
import type { AppBillingLedger } from '../../platform/db/types.js';
import type { Tx } from '../../platform/db/databases.js';
import type { TenantTransaction } from '../../platform/tenancy/job-context.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { dateIn } from '../../platform/calendar.js';
import { day, render, studioLocale, text, type Text } from '../../platform/i18n.js';
import { queueMail, queueMemberMessages } from '../../platform/messaging/outbox.js';
import type { BillingSettings } from './billing-settings.js';
import { GatewayUnavailable, type ChargeOutcome, type ChargeRequest } from './gateways/gateway.js';
import type { Gateway } from './gateways/index.js';
import { insertRows } from './billing.repo.js';
import { invoiceLabel } from './invoice-builder.js';
import { formatMoney } from './invoice-document.js';

export const idempotencyKeyOf = (attemptId: string) => `studiohive-attempt-${attemptId}`;

export interface CardAttempt {
  id: string;
  invoiceId: string;
  invoiceNumber: number | null;
  amount: number;
  currency: string;
  token: string;
  customerRef: string | null;
  /** The gateway's id of the charge, once it has answered pending (Stripe's processing). */
  gatewayRef?: string | null;
  /** When the member began paying in the app, there to pass 3-D Secure (payment_attempts.on_session_since). */
  onSessionSince?: Date | null;
}

/**
 * How long a member has to pass 3-D Secure for a payment begun in the app. After it, the hourly run cancels the
 * charge at the gateway and records it failed, so an abandoned challenge does not hold the invoice (the desk's
 * cash, the next retry) forever.
 */
export const AUTHENTICATION_WINDOW_MS = 30 * 60_000;

/** Pending card attempts, with the card to charge. */
export const pendingCardAttempts = (db: Tx, opts: { ids?: string[]; createdBefore?: Date; limit?: number }) =>
  db
    .selectFrom('app.payment_attempts as a')
    .innerJoin('app.payment_methods as pm', (j) => j.onRef('pm.tenant_id', '=', 'a.tenant_id').onRef('pm.id', '=', 'a.payment_method_id'))
    .innerJoin('app.invoices as i', (j) => j.onRef('i.tenant_id', '=', 'a.tenant_id').onRef('i.id', '=', 'a.invoice_id'))
    .select(['a.id', 'a.invoice_id as invoiceId', 'i.number as invoiceNumber', 'a.amount', 'a.currency', 'pm.token', 'pm.customer_ref as customerRef', 'a.gateway_ref as gatewayRef', 'a.initiated_by as initiatedBy', 'a.on_session_since as onSessionSince', 'a.created_at as createdAt'])
    .where('a.status', '=', 'pending')
    .where('a.method', '=', 'card')
    .$if(opts.ids !== undefined, (q) => q.where('a.id', 'in', opts.ids!.length ? opts.ids! : ['00000000-0000-0000-0000-000000000000']))
    .$if(opts.createdBefore !== undefined, (q) => q.where('a.created_at', '<', opts.createdBefore!))
    .orderBy('a.created_at')
    .limit(opts.limit ?? 1000)
    .execute();

/**
 * Calls the gateway for each attempt (already committed as pending) and records the outcomes in one transaction.
 * An attempt the gateway already answered as pending (it has the charge's reference) is read back instead: asking
 * to charge again only replays that first, pending answer, and once the gateway forgets the key (Stripe after a
 * day) it would charge a second time.
 */
export async function chargeAndRecord(transaction: TenantTransaction, gateway: Gateway, settings: BillingSettings, allAttempts: CardAttempt[], tenantId: string, now: Date) {
  if (allAttempts.length === 0) return { succeeded: 0, failed: 0, unknown: 0, settled: [] };
  const attempts = allAttempts.filter((a) => !a.gatewayRef);
  const readBack: Array<{ attemptId: string; outcome: ChargeOutcome }> = [];
  const unavailable = (error: unknown) => {
    if (error instanceof GatewayUnavailable) return null;
    throw error;
  };
  for (const a of allAttempts) {
    if (!a.gatewayRef) continue;
    let state = await gateway.retrieveCharge(a.gatewayRef).catch(unavailable);
    const abandoned = state?.status === 'pending' && state.authentication && a.onSessionSince && now.getTime() - a.onSessionSince.getTime() > AUTHENTICATION_WINDOW_MS;
    if (abandoned && gateway.cancelCharge) {
      await gateway.cancelCharge(a.gatewayRef).catch(unavailable);
      state = await gateway.retrieveCharge(a.gatewayRef).catch(unavailable);
    }
    if (!state) continue;
    const { metadata: _metadata, ...outcome } = state;
    readBack.push({ attemptId: a.id, outcome });
  }
  const requests: ChargeRequest[] = attempts.map((a) => ({
    idempotencyKey: idempotencyKeyOf(a.id),
    amount: a.amount,
    currency: a.currency,
    card: { token: a.token, customerRef: a.customerRef },
    description: a.invoiceNumber ? invoiceLabel(a.invoiceNumber) : a.invoiceId,
    metadata: { attemptId: a.id, invoiceId: a.invoiceId, tenantId },
    onSession: !!a.onSessionSince,
  }));
  let outcomes: Array<ChargeOutcome | null>;
  if (gateway.chargeMany) {
    outcomes = await gateway.chargeMany(requests).catch((error: unknown) => {
      if (error instanceof GatewayUnavailable) return requests.map(() => null);
      throw error;
    });
  } else {
    outcomes = [];
    // One at a time: a gateway's rate limit is the studio's, and a run is not in a hurry.
    for (const r of requests) {
      outcomes.push(
        await gateway.charge(r).catch((error: unknown) => {
          if (error instanceof GatewayUnavailable) return null;
          throw error;
        }),
      );
    }
  }
  const settled = [...readBack, ...attempts.flatMap((a, i) => (outcomes[i] ? [{ attemptId: a.id, outcome: outcomes[i] }] : []))];
  await transaction((ctx) => recordOutcomes(ctx, settled, settings));
  return {
    succeeded: settled.filter((s) => s.outcome.status === 'succeeded').length,
    failed: settled.filter((s) => s.outcome.status === 'failed').length,
    unknown: allAttempts.length - settled.length,
    settled,
  };
}

/**
 * Records outcomes of pending attempts. An attempt settles once: a second report (a webhook after the run, a
 * duplicate event) finds it no longer pending and changes nothing. Success pays the invoice and lifts dunning;
 * a failure of the run's or a retry's charge moves the invoice along the dunning schedule.
 */
export async function recordOutcomes(ctx: TenantContext, settled: Array<{ attemptId: string; outcome: ChargeOutcome }>, settings: BillingSettings) {
  const { db, now } = ctx;
  const decided = settled.filter((s) => s.outcome.status !== 'pending');
  for (const s of settled) {
    if (s.outcome.status === 'pending') {
      await db.updateTable('app.payment_attempts').set({ gateway_ref: s.outcome.reference }).where('id', '=', s.attemptId).where('status', '=', 'pending').execute();
    }
  }
  if (decided.length === 0) return;
  const values = decided.map((s) => ({
    id: s.attemptId,
    status: s.outcome.status,
    ref: s.outcome.reference,
    kind: s.outcome.status === 'failed' ? s.outcome.kind : null,
    code: s.outcome.status === 'failed' ? s.outcome.code.slice(0, 100) : null,
    message: s.outcome.status === 'failed' ? s.outcome.message.slice(0, 500) : null,
  }));
  const changed = (
    await sql<{ id: string; invoice_id: string; amount: string; status: 'succeeded' | 'failed'; initiated_by: string; failure_kind: 'soft' | 'hard' | null }>`
      update app.payment_attempts a
      set status = v.status, gateway_ref = coalesce(v.ref, a.gateway_ref), failure_kind = v.kind, failure_code = v.code,
          failure_message = v.message, settled_at = ${now}
      from (select * from jsonb_to_recordset(${JSON.stringify(values)}::jsonb)
            as x(id uuid, status text, ref text, kind text, code text, message text)) v
      where a.id = v.id and a.status = 'pending'
      returning a.id, a.invoice_id, a.amount, a.status, a.initiated_by, a.failure_kind`.execute(db)
  ).rows;
  const paid = changed.filter((c) => c.status === 'succeeded');
  if (paid.length) await payInvoices(db, paid.map((p) => ({ attemptId: p.id, invoiceId: p.invoice_id, amount: Number(p.amount) })), now);
  for (const f of changed.filter((c) => c.status === 'failed')) {
    if (f.initiated_by === 'run' || f.initiated_by === 'retry') await advanceDunning(ctx, f.invoice_id, f.failure_kind!, settings);
  }
}

/**
 * Records these settled payments on their invoices, with their ledger entries; an invoice paid in full is marked
 * paid, one paid in part stays as it was with the rest due. A written-off invoice paid late gets
 * its write-off reversed, so its entries still sum to what is owed.
 */
export async function payInvoices(db: Tx, payments: Array<{ attemptId: string; invoiceId: string; amount: number }>, now: Date) {
  const before = await db
    .selectFrom('app.invoices')
    .select(['id', 'status', 'period', 'total', 'amount_paid'])
    .where('id', 'in', payments.map((p) => p.invoiceId))
    .forUpdate()
    .execute();
  const byId = new Map(before.map((b) => [b.id, b]));
  await sql`
    update app.invoices i
    set status = case when i.amount_paid + v.amount >= i.total then 'paid' else i.status end,
        amount_paid = i.amount_paid + v.amount,
        paid_at = case when i.amount_paid + v.amount >= i.total then ${now}::timestamptz else i.paid_at end,
        -- A part paid at the desk leaves the rest due, collected as before.
        next_attempt_at = case when i.amount_paid + v.amount >= i.total then null else i.next_attempt_at end
    from (select * from jsonb_to_recordset(${JSON.stringify(payments.map((p) => ({ id: p.invoiceId, amount: p.amount })))}::jsonb) as x(id uuid, amount bigint)) v
    where i.id = v.id`.execute(db);
  const ledger = payments.flatMap((p) => {
    const inv = byId.get(p.invoiceId)!;
    const entries: Array<Insertable<AppBillingLedger>> = [{ invoice_id: p.invoiceId, period: inv.period, kind: 'payment', amount: -p.amount, reference_id: p.attemptId }];
    if (inv.status === 'uncollectible') entries.push({ invoice_id: p.invoiceId, period: inv.period, kind: 'write_off', amount: p.amount, reference_id: p.attemptId });
    return entries;
  });
  await insertRows(db, 'app.billing_ledger', ledger);
}

/** One more failed charge: schedule the next retry, or escalate when the card is hard-declined or retries ran out. */
async function advanceDunning(ctx: TenantContext, invoiceId: string, kind: 'soft' | 'hard', settings: BillingSettings) {
  const { db, now } = ctx;
  const invoice = await db.selectFrom('app.invoices').selectAll().where('id', '=', invoiceId).forUpdate().executeTakeFirstOrThrow();
  if (invoice.status !== 'open') return;
  const failures = Number(
    (
      await db
        .selectFrom('app.payment_attempts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('invoice_id', '=', invoiceId)
        .where('status', '=', 'failed')
        .where('initiated_by', 'in', ['run', 'retry'])
        .executeTakeFirstOrThrow()
    ).n,
  );
  const firstFailedAt = invoice.first_failed_at ?? now;
  const nextDay = settings.retryDays[failures - 1];
  if (kind === 'soft' && nextDay !== undefined) {
    const next = new Date(firstFailedAt.getTime() + nextDay * 86_400_000);
    await db.updateTable('app.invoices').set({ first_failed_at: firstFailedAt, next_attempt_at: next }).where('id', '=', invoiceId).execute();
    const words = { invoice: invoiceLabel(invoice.number!), amount: formatMoney(invoice.total, invoice.currency, studioLocale(ctx.tenant)), retryOn: day(dateIn(next, ctx.tenant.timezone)) };
    await tellAccount(db, ctx.tenant, now, invoice.billing_member_id, 'payment_failed', text('billing.mail.payment_failed.subject', words), text('billing.mail.payment_failed.body', words));
    return;
  }
  await escalate(db, ctx.tenant, invoice.id, now, firstFailedAt);
}

/** The studio whose words a mail is written in: its language and time zone. */
type Studio = { locale: string; timezone: string };

/** The last failure: the account is overdue (booking blocked) until the invoice is paid, and staff are told. */
export async function escalate(db: Tx, studio: Studio, invoiceId: string, now: Date, firstFailedAt: Date = now) {
  const invoice = await db
    .updateTable('app.invoices')
    .set({ escalated_at: now, next_attempt_at: null, first_failed_at: sql`coalesce(first_failed_at, ${firstFailedAt})` })
    .where('id', '=', invoiceId)
    .where('escalated_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!invoice) return;
  const words = { invoice: invoiceLabel(invoice.number!), amount: formatMoney(invoice.total, invoice.currency, studioLocale(studio)) };
  await tellAccount(db, studio, now, invoice.billing_member_id, 'payment_overdue', text('billing.mail.payment_overdue.subject', words), text('billing.mail.payment_overdue.body', words));
  const member = await db.selectFrom('app.members').select(['family_name', 'given_name', 'member_number']).where('id', '=', invoice.billing_member_id).executeTakeFirstOrThrow();
  const about = { ...words, memberNumber: String(member.member_number), name: `${member.family_name} ${member.given_name}`.trim() };
  const write = (t: Text) => render(t, studioLocale(studio), studio.timezone);
  await queueMail(db, (await staffToTell(db)).map((s) => ({
    to_address: s.email, template: 'staff_invoice_overdue',
    subject: write(text('billing.mail.staff_invoice_overdue.subject', about)), body: write(text('billing.mail.staff_invoice_overdue.body', about)),
  })));
}

export const staffToTell = (db: Tx) => db.selectFrom('app.staff').select('email').where('role', 'in', ['owner', 'manager']).where('status', '=', 'active').execute();

/** A message to the account's member (LINE, push or mail), written now in their language (it outlives the run). */
async function tellAccount(db: Tx, studio: Studio, now: Date, memberId: string, kind: string, subject: Text, body: Text) {
  await queueMemberMessages(db, [memberId], { kind, subject, body: () => body }, { locale: studioLocale(studio), timeZone: studio.timezone, now });
}

/** When the account's retry falls due: a new attempt on the current card, or escalation if there is none. */
export async function dueRetries(db: Tx, studio: Studio, now: Date, gateway: string, limit: number) {
  const due = await db
    .selectFrom('app.invoices as i')
    .leftJoin('app.payment_methods as pm', (j) =>
      j.onRef('pm.tenant_id', '=', 'i.tenant_id').onRef('pm.member_id', '=', 'i.billing_member_id').on('pm.detached_at', 'is', null).on('pm.gateway', '=', gateway as 'test'))
    .select(['i.id', 'i.total', 'i.amount_paid', 'i.currency', 'pm.id as cardId'])
    .where('i.status', '=', 'open')
    .where('i.next_attempt_at', '<=', now)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('app.payment_attempts as a').select('a.id').whereRef('a.invoice_id', '=', 'i.id').where('a.status', '=', 'pending'))))
    .orderBy('i.next_attempt_at')
    .limit(limit)
    .forUpdate('i')
    .skipLocked()
    .execute();
  const ids: string[] = [];
  for (const d of due) {
    if (!d.cardId) {
      await escalate(db, studio, d.id, now);
      continue;
    }
    const attempt = await db
      .insertInto('app.payment_attempts')
      .values({ invoice_id: d.id, amount: d.total - d.amount_paid, currency: d.currency, method: 'card', gateway: gateway as 'test', payment_method_id: d.cardId, initiated_by: 'retry' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.updateTable('app.invoices').set((eb) => ({ attempt_count: eb('attempt_count', '+', 1), next_attempt_at: null })).where('id', '=', d.id).execute();
    ids.push(attempt.id);
  }
  return { ids, handled: due.length };
}
