/**
 * The monthly run of one tenant. Safe to run at any time and any number of times (it runs hourly): it invoices
 * every billing account with something due up to the month being billed, charges the new invoices, settles
 * charges a crash left pending, retries failed charges on the dunning schedule and takes the final action on
 * accounts long overdue.
 *
 * Exactly once: an invoice is unique per (account, month); each charge line is unique per (contract, month,
 * code); a contract's billed_through moves in the same transaction as its invoice. Batches are short
 * transactions, so a crash loses at most the batch in flight, and the next run finds what is still due.
 * Charges are attempt rows committed before the gateway is called, with the attempt id as idempotency key.
 */
import { sql } from 'kysely';
import { addDays, dateIn, firstDay, lastDay, todayIn, zonedInstant, type IsoDate, type IsoMonth } from '../../platform/calendar.js';
import { AppError } from '../../platform/errors.js';
import { render, studioLocale, text, type Text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import type { TenantDirectory } from '../../platform/tenancy/directory.js';
import { tenantJob, type TenantTransaction } from '../../platform/tenancy/job-context.js';
import { earliestChangeMonth } from '../contracts/charges.js';
import { contractsService } from '../contracts/contracts.service.js';
import { dueContractsOf, issueInvoices, type InvoiceDraft } from './issue.js';
import { tellInvoicesIssued, type StudioUrl } from './invoice-notice.js';
import { billingRunRepo as repo } from './billing.repo.js';
import { billingSettings, type BillingSettings } from './billing-settings.js';
import { gatewayFor, ownTransaction, type Gateway, type GatewayDeps } from './gateways/index.js';
import { billingPeriodOn, linesFor, totalsOf, type DueFee } from './invoice-builder.js';
import { chargeAndRecord, dueRetries, pendingCardAttempts, staffToTell, type CardAttempt } from './payments.js';
import { queueMail } from '../../platform/messaging/outbox.js';
import { settleRefund } from './billing.service.js';

export interface BillingDeps {
  directory: TenantDirectory;
  gateways: GatewayDeps;
  /** The studio's address, for the link to a new invoice in the member app. */
  tenantUrl: StudioUrl;
}

/** Why a run did nothing on purpose: another run of the tenant (the hourly job, the CLI, an operator) holds its lock. */
export const RUN_IN_PROGRESS = 'another run is in progress';

export interface BillingRunResult {
  tenantId: string;
  period: IsoMonth;
  /** Set when the run was skipped, and then it did nothing (every count is 0); null when it ran. */
  skipped: typeof RUN_IN_PROGRESS | null;
  invoicesCreated: number;
  charged: { succeeded: number; failed: number; unknown: number };
  reconciled: number;
  retries: number;
  finalActions: number;
}

/** What the run needs of the runtime. */
export const billingDeps = (runtime: { directory: TenantDirectory; config: { STRIPE_API_URL?: string | undefined }; tenantUrl: StudioUrl }): BillingDeps => ({
  directory: runtime.directory,
  tenantUrl: runtime.tenantUrl,
  gateways: { stripeApiUrl: runtime.config.STRIPE_API_URL },
});

const BATCH = 500;
/** A pending attempt of a request (a member paying now) younger than this is still in its own hands. */
const IN_FLIGHT_MS = 60_000;

/**
 * `today` runs the tenant as on that date (`billing-run --date`): unless it is the studio's today, the run's clock is
 * then the last moment of that day in the studio's time zone, and `now` is not used. Everything the run decides by the clock follows it (the
 * month billed, issue and due dates, when a failed charge is retried, escalation, the final action, the times
 * written), so a day, or a dunning schedule, can be replayed; and a retry that falls due at any hour of the day
 * is made by a run of that day.
 */
export async function runBilling(deps: BillingDeps, tenantId: string, clockNow: Date, opts: { batchSize?: number; today?: IsoDate } = {}): Promise<BillingRunResult | null> {
  const found = await tenantJob(deps.directory, tenantId, clockNow);
  if (!found) return null;
  const { tenant } = found;
  // A run "as on" the studio's own today is just a run now: it must not write times in the future.
  const replaying = opts.today !== undefined && opts.today !== todayIn(tenant.timezone, clockNow);
  const now = replaying ? new Date(zonedInstant(addDays(opts.today!, 1), '00:00', tenant.timezone).getTime() - 1) : clockNow;
  // Every transaction of the run (and what it calls: dunning, refunds, final actions) is dated by the run's clock.
  const job = { tenant, transaction: ((fn) => found.transaction((ctx) => fn({ ...ctx, now }))) as TenantTransaction };
  const today = opts.today ?? todayIn(job.tenant.timezone, now);
  const settings = await job.transaction((ctx) => billingSettings(ctx.db));
  const period = billingPeriodOn(today, settings.rules);
  const gateway = usableGateway(settings, job.transaction, deps.gateways);
  const batchSize = opts.batchSize ?? BATCH;

  // One run per tenant at a time (the hourly job, the CLI, an operator): a session lock on a held connection,
  // released by PostgreSQL if this process dies.
  const pool = await deps.directory.dbFor(job.tenant);
  return pool.connection().execute(async (conn) => {
    const key = sql`hashtextextended(${`billing:${tenantId}`}, 0)`;
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${key}) as ok`.execute(conn);
    const result: BillingRunResult = { tenantId, period, skipped: null, invoicesCreated: 0, charged: { succeeded: 0, failed: 0, unknown: 0 }, reconciled: 0, retries: 0, finalActions: 0 };
    // Said, not hidden: an operator's run that did nothing because the hourly one was busy must not look done.
    if (!rows[0]!.ok) return { ...result, skipped: RUN_IN_PROGRESS };
    try {
      const charge = async (attempts: CardAttempt[]) => {
        if (!gateway) return;
        const c = await chargeAndRecord(job.transaction, gateway, settings, attempts, tenantId, now);
        result.charged.succeeded += c.succeeded;
        result.charged.failed += c.failed;
        result.charged.unknown += c.unknown;
      };

      // Charges a crash (or a lost answer) left pending: ask the gateway again with the same key.
      if (gateway) {
        for (const seen = new Set<string>(); ; ) {
          const pending = (await job.transaction((ctx) => reconcilable(ctx, now, batchSize))).filter((a) => !seen.has(a.id));
          if (pending.length === 0) break;
          pending.forEach((a) => seen.add(a.id));
          result.reconciled += pending.length;
          await charge(pending);
        }
      }

      await job.transaction((ctx) => repo.startRun(ctx.db, firstDay(period)));
      for (let after: string | null = null; ; ) {
        const batch = await job.transaction((ctx) => invoiceBatch(ctx, { period, today, settings, gateway, after, limit: batchSize, tenantUrl: deps.tenantUrl }));
        if (batch === null) break;
        after = batch.lastAccount;
        result.invoicesCreated += batch.invoices;
        await charge(batch.attempts);
      }

      if (gateway) {
        for (;;) {
          const { ids, handled } = await job.transaction((ctx) => dueRetries(ctx.db, ctx.tenant, now, gateway.name, batchSize));
          if (handled === 0) break;
          result.retries += ids.length;
          await charge(await job.transaction((ctx) => pendingCardAttempts(ctx.db, { ids })));
        }
      }
      // Card refunds whose answer was lost: ask again with the same key.
      const stale = new Date(now.getTime() - IN_FLIGHT_MS);
      const refunds = await job.transaction((ctx) =>
        ctx.db.selectFrom('app.refunds').select('id').where('status', '=', 'pending').where('created_at', '<', stale).orderBy('created_at').limit(batchSize).execute(),
      );
      for (const r of refunds) await settleRefund({ transaction: job.transaction, now }, deps.gateways, r.id);
      result.finalActions = await job.transaction((ctx) => finalActions(ctx, settings, today));
      await job.transaction((ctx) => repo.finishRun(ctx.db, firstDay(period)));
      return result;
    } finally {
      await sql`select pg_advisory_unlock(${key})`.execute(conn);
    }
  });
}

/** The studio's gateway, or none when it cannot be used (Stripe chosen but not set up): invoices still go out. */
function usableGateway(settings: BillingSettings, transaction: TenantTransaction, deps: GatewayDeps): Gateway | null {
  try {
    return gatewayFor(settings, ownTransaction(transaction), deps);
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}

/**
 * Pending card attempts of earlier runs, and of requests that have had time to settle themselves. A member's
 * payment in the app is timed from when they began it, by the app's clock (the run's), as its 3-D Secure window is.
 */
const reconcilable = (ctx: TenantContext, now: Date, limit: number) =>
  pendingCardAttempts(ctx.db, { limit }).then((rows) =>
    rows.filter((r) => r.initiatedBy === 'run' || r.initiatedBy === 'retry' || (r.onSessionSince ?? r.createdAt).getTime() < now.getTime() - IN_FLIGHT_MS),
  );

interface BatchInput {
  period: IsoMonth;
  today: IsoDate;
  settings: BillingSettings;
  gateway: Gateway | null;
  after: string | null;
  limit: number;
  tenantUrl: StudioUrl;
}

/** One transaction: the next accounts' invoices, lines, ledger charges and pending charge attempts. */
async function invoiceBatch(ctx: TenantContext, { period, today, settings, gateway, after, limit, tenantUrl }: BatchInput) {
  const db = ctx.db;
  const periodDate = firstDay(period);
  const periodEnd = lastDay(period);
  const accounts = await repo.dueAccounts(db, periodDate, periodEnd, after, limit);
  if (accounts.length === 0) return null;
  const members = await repo.accountMembers(db, accounts);
  const memberIds = members.map((m) => m.id);
  const contracts = await repo.unbilledContracts(db, memberIds, periodDate, periodEnd);
  const [due, fees, cards] = await Promise.all([dueContractsOf(db, contracts), repo.unbilledFees(db, memberIds), repo.currentCards(db, accounts)]);
  const group = <T, K>(rows: T[], key: (r: T) => K) => {
    const map = new Map<K, T[]>();
    for (const r of rows) map.set(key(r), [...(map.get(key(r)) ?? []), r]);
    return map;
  };
  const accountOf = new Map(members.map((m) => [m.id, m.family_lead_id ?? m.id]));
  const memberById = new Map(members.map((m) => [m.id, m]));
  const cardOf = new Map(cards.map((c) => [c.member_id, c]));
  const dueContracts = group(due, (c) => accountOf.get(c.memberId)!);
  const dueFees = group(
    fees.map((f): DueFee & { account: string } => ({
      account: accountOf.get(f.member_id)!, id: f.id, memberId: f.member_id, reason: f.reason, amount: f.amount, lessonName: f.name,
      lessonDate: dateIn(f.starts_at, ctx.tenant.timezone), chargedOn: dateIn(f.created_at, ctx.tenant.timezone),
    })),
    (f) => f.account,
  );

  // Lines are stored as written, in the studio's language.
  const language = { locale: studioLocale(ctx.tenant), timeZone: ctx.tenant.timezone };
  const drafts = accounts.flatMap((account): InvoiceDraft[] => {
    const lines = linesFor(dueContracts.get(account) ?? [], dueFees.get(account) ?? [], period, settings.rules, language);
    const lead = memberById.get(account)!;
    return lines.length
      ? [{ account, lines, recipientName: `${lead.family_name} ${lead.given_name}`.trim(), card: cardOf.get(account), totals: totalsOf(lines, period, today, settings.rules, settings.paymentTermsDays) }]
      : [];
  });
  const issued = await issueInvoices(ctx, drafts, { period, today, settings, gateway });
  await tellInvoicesIssued(ctx, issued.invoiceIds, tenantUrl);
  await repo.markBilled(db, contracts.map((c) => c.id), periodDate);
  await repo.countRun(db, periodDate, issued.invoiceIds.length, issued.attempts.length);
  return { lastAccount: accounts[accounts.length - 1]!, invoices: issued.invoiceIds.length, attempts: issued.attempts };
}

/**
 * N days after escalation, the studio's final action on the account's running monthly contracts: leave from
 * the first month a change can take, or cancellation. Each escalated invoice triggers it once.
 */
async function finalActions(ctx: TenantContext, settings: BillingSettings, today: IsoDate): Promise<number> {
  if (settings.finalAction === 'none') return 0;
  const cutoff = new Date(ctx.now.getTime() - settings.finalAfterDays * 86_400_000);
  const due = await ctx.db
    .updateTable('app.invoices')
    .set({ final_action_at: ctx.now })
    // A written-off invoice is no longer collected: no leave or cancellation follows from it.
    .where('status', '=', 'open')
    .where('escalated_at', '<=', cutoff)
    .where('final_action_at', 'is', null)
    .returning(['billing_member_id', 'number'])
    .execute();
  const accounts = [...new Set(due.map((d) => d.billing_member_id))];
  if (accounts.length === 0) return 0;
  const staff = await staffToTell(ctx.db);
  // The reason stored on the leave or cancellation, and the staff mail: in the studio's language.
  const write = (t: Text) => render(t, studioLocale(ctx.tenant), ctx.tenant.timezone);
  const reason = write(text('billing.final_action_reason'));
  let actions = 0;
  for (const account of accounts) {
    const running = await ctx.db
      .selectFrom('app.contracts as c')
      .innerJoin('app.members as m', (j) => j.onRef('m.tenant_id', '=', 'c.tenant_id').onRef('m.id', '=', 'c.member_id'))
      .select(['c.id', 'm.member_number', 'm.family_name', 'm.given_name'])
      .where((eb) => eb.or([eb('m.id', '=', account), eb('m.family_lead_id', '=', account)]))
      .where('c.kind', '=', 'monthly')
      .where('c.ended_at', 'is', null)
      .where('c.cancel_requested_at', 'is', null)
      .execute();
    for (const c of running) {
      try {
        if (settings.finalAction === 'leave') await contractsService.startLeave(ctx, c.id, { fromMonth: earliestChangeMonth(today, settings.rules), reason });
        else await contractsService.cancel(ctx, c.id, { reason });
        actions += 1;
        const words = { action: settings.finalAction, memberNumber: String(c.member_number), name: `${c.family_name} ${c.given_name}`.trim(), days: settings.finalAfterDays };
        await queueMail(ctx.db, staff.map((s) => ({
          to_address: s.email, template: 'staff_dunning_action',
          subject: write(text('billing.mail.staff_dunning_action.subject', words)), body: write(text('billing.mail.staff_dunning_action.body', words)),
        })));
      } catch (error) {
        // A contract the rule cannot act on (already on leave that month) is left as it is.
        if (!(error instanceof AppError)) throw error;
      }
    }
  }
  return actions;
}
