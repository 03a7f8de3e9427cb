import { randomInt, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingDeps, runBilling } from '../../src/modules/billing/billing-run.js';
import { killCliWhen } from '../support/cli.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

/**
 * The issue's proof: the billing run over 5,000 contracts, SIGKILLed at random points 10 times and restarted
 * each time, still ends with exactly one invoice per account for the month and at most one successful charge
 * per invoice, at the gateway as in our books.
 *
 * Reproduce a failure with the seed it prints: BILLING_CRASH_SEED=<seed> npx vitest run test/process/billing-crash.test.ts
 */

const CONTRACTS = 5000;
const KILLS = 10;
const BATCH = 100;
const TODAY = '2026-11-11';
const PERIOD = '2026-12-01';
const GOOD = 'tok_test_4242424242424242';
const INSUFFICIENT = 'tok_test_4000000000009995';
const STOLEN = 'tok_test_4000000000009979';

let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;
/** Billing accounts: members without a family lead. */
let accounts: number;

let setupMs = 0;
beforeAll(async () => {
  const setupStarted = Date.now();
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  admin = await platform.admin();
  // The tables fill up during the test faster than statistics are gathered, and without them the planner loops
  // over thousands of rows for each of thousands of rows: the checks' joins (on this connection only) hash.
  await admin.query(`set enable_nestloop = off`);
  const plan = await platform.call(tenant, {
    method: 'POST', url: '/api/plans', token: tenant.ownerToken, headers: { 'idempotency-key': randomUUID() },
    payload: { kind: 'monthly', name: 'Monthly', terms: { price: 1000, priceIncludesTax: false, taxCategory: 'standard_10', enrollmentFee: 2000 } },
  });
  expect(plan.statusCode, plan.body).toBe(201);
  // Written as the superuser in bulk (the API would take minutes for this many). Member n has one monthly
  // contract, starting on 1 December (n % 3 = 1), on 1 October (n % 3 = 0: October and November are caught up
  // on December's invoice) or on 16 November (n % 3 = 2: a pro-rated first month). Families of three: member
  // n % 10 = 8 pays for n + 1 and n + 2. Cards: n % 25 = 3 has insufficient funds (soft decline), n % 25 = 7
  // a stolen card (hard decline), n % 25 = 11 no card, everyone else a good card.
  await admin.query(
    `with m as (
       insert into app.members (tenant_id, member_number, family_name, given_name, email)
       select $1, n, 'Member', n::text, 'member' || n || '@example.com' from generate_series(1, $2) n returning id, member_number as n),
     e as (
       insert into app.member_status_events (tenant_id, member_id, to_status, effective_on, actor_kind)
       select $1, id, 'active', '2026-10-01', 'system' from m),
     c as (
       insert into app.contracts (tenant_id, member_id, kind, start_date)
       select $1, id, 'monthly', case n % 3 when 0 then date '2026-10-01' when 1 then date '2026-12-01' else date '2026-11-16' end from m
       returning id, start_date),
     cp as (
       insert into app.contract_plans (tenant_id, contract_id, effective_from, plan_id, plan_version)
       select $1, id, start_date, $3, 1 from c)
     insert into app.payment_methods (tenant_id, member_id, gateway, token, last4)
     select $1, id, 'test', t.token, right(t.token, 4)
       from m, lateral (select case n % 25 when 3 then $4 when 7 then $5 else $6 end as token) t
      where n % 25 <> 11`,
    [tenant.id, CONTRACTS, plan.json().id, INSUFFICIENT, STOLEN, GOOD],
  );
  await admin.query(
    `update app.members m set family_lead_id = l.id
       from app.members l
      where m.tenant_id = $1 and l.tenant_id = $1 and m.member_number % 10 in (9, 0)
        and l.member_number = m.member_number - case m.member_number % 10 when 9 then 1 else 2 end`,
    [tenant.id],
  );
  accounts = await count(`select count(*) as n from app.members where tenant_id = $1 and family_lead_id is null`);
  setupMs = Date.now() - setupStarted;
}, 120_000);
afterAll(() => platform?.close());

async function count(query: string) {
  return Number((await admin.query(query, [tenant.id])).rows[0].n);
}

/** A small seeded generator (mulberry32), so a failing order of kills can be replayed. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const issued = () => count(`select count(*) as n from app.invoices where tenant_id = $1`);

/** Where the run is: invoices issued, attempts pending and settled, and charges the gateway has made. */
async function progress() {
  const { rows } = await admin.query(
    `select (select count(*) from app.invoices where tenant_id = $1)::int as invoices,
            (select count(*) from app.payment_attempts where tenant_id = $1 and status = 'pending')::int as pending,
            (select count(*) from app.payment_attempts where tenant_id = $1 and status <> 'pending')::int as settled,
            (select count(*) from app.test_gateway_operations where tenant_id = $1 and kind = 'charge')::int as charged`,
    [tenant.id],
  );
  const p = rows[0] as { invoices: number; pending: number; settled: number; charged: number };
  // Charged at the gateway but not yet recorded by us; invoiced with an attempt but not yet sent to the gateway.
  return { ...p, unrecorded: p.charged - p.settled, uncharged: p.pending - (p.charged - p.settled) };
}

/** Waits until the killed run's session (and with it the run's advisory lock) is gone, so the restart runs. */
async function lockReleased() {
  const key = `billing:${tenant.id}`;
  for (let i = 0; i < 500; i++) {
    const { rows } = await admin.query(`select pg_try_advisory_lock(hashtextextended($1, 0)) as ok`, [key]);
    if (rows[0].ok) {
      await admin.query(`select pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the killed billing run still holds its lock');
}

/** What holds after any crash, read in one snapshot: every batch and every recording is whole. */
async function wholeBatches() {
  const { rows } = await admin.query(
    `select
       (select count(*) from app.invoices where tenant_id = $1)::int as invoices,
       (select count(distinct number) from app.invoices where tenant_id = $1)::int as numbers,
       (select coalesce(max(number), 0) from app.invoices where tenant_id = $1)::int as last_number,
       (select count(*) from app.contracts where tenant_id = $1 and billed_through = $2)::int as billed,
       (select count(*) from app.contracts c join app.members m on m.tenant_id = c.tenant_id and m.id = c.member_id
          where c.tenant_id = $1 and exists (select 1 from app.invoices i where i.tenant_id = $1 and i.period = $2
                                              and i.billing_member_id = coalesce(m.family_lead_id, m.id)))::int as invoiced_contracts,
       (select count(*) from app.invoices i where tenant_id = $1
          and total - amount_paid <> (select coalesce(sum(amount), 0) from app.billing_ledger l where l.tenant_id = $1 and l.invoice_id = i.id))::int as unbalanced,
       (select count(*) from app.invoices i where tenant_id = $1
          and not exists (select 1 from app.invoice_lines l where l.tenant_id = $1 and l.invoice_id = i.id))::int as without_lines,
       (select count(*) from app.invoices i where tenant_id = $1 and (status = 'paid') <>
          exists (select 1 from app.payment_attempts a where a.tenant_id = $1 and a.invoice_id = i.id and a.status = 'succeeded'))::int as paid_mismatch`,
    [tenant.id, PERIOD],
  );
  const s = rows[0];
  expect(s.numbers).toBe(s.invoices);
  expect(s.last_number).toBe(s.invoices);
  expect(s.billed).toBe(s.invoiced_contracts);
  expect(s.unbalanced).toBe(0);
  expect(s.without_lines).toBe(0);
  expect(s.paid_mismatch).toBe(0);
}

describe('the billing run, killed at random points', () => {
  it('ends with one invoice per account for the month and at most one successful charge per invoice, after 10 SIGKILLs', async () => {
    const started = Date.now();
    console.log(`set up (5,000 contracts) in ${(setupMs / 1000).toFixed(1)} s`);
    const seed = Number(process.env.BILLING_CRASH_SEED ?? randomInt(2 ** 31));
    console.log(`billing-crash seed ${seed} (replay with BILLING_CRASH_SEED=${seed})`);
    const random = seeded(seed);
    // Kill points spread over the first 60% of the run (by invoices issued), in order; each waits for at least
    // one more committed batch, so every restart makes progress, and then for the moment its mode names:
    //   anywhere:  a random 0-300 ms later (inside a batch's transaction, calling the gateway, recording...);
    //   charging:  invoices committed with pending attempts the gateway has not seen yet;
    //   recording: the gateway has charged cards that our books still show pending.
    // A moment not seen within 3 batches is given up (the kill is then anywhere), and each kill has a deadline
    // that leaves room for the kills after it, so all 10 land before the run could end.
    const modes = ['anywhere', 'charging', 'recording'] as const;
    const shuffled = Array.from({ length: KILLS }, (_, i) => ({ mode: modes[i % modes.length]!, key: random() })).sort((a, b) => a.key - b.key);
    const points = Array.from({ length: KILLS }, () => 0.02 + random() * 0.58).sort((a, b) => a - b);
    const plan = points.map((at, i) => ({ at, mode: shuffled[i]!.mode, delay: Math.floor(random() * 300) }));
    const landed: Array<{ uncharged: number; unrecorded: number }> = [];

    for (const [i, kill] of plan.entries()) {
      await lockReleased();
      const deadline = accounts - (KILLS - i) * 1.5 * BATCH;
      const threshold = Math.min(Math.max(Math.floor(kill.at * accounts), (await issued()) + 1), deadline);
      let reached: number | null = null;
      let looked = 0;
      let why: string = kill.mode;
      const until = async () => {
        if (reached === null) {
          // Up to the threshold a look every 100 ms will do (the machine has better things to do); then every 20.
          if (Date.now() - looked < 100) return false;
          looked = Date.now();
          if ((await issued()) < threshold) return false;
          reached = Date.now();
        }
        if (kill.mode === 'anywhere') return Date.now() >= reached + kill.delay || (await issued()) >= deadline;
        const p = await progress();
        if (kill.mode === 'charging' ? p.uncharged > 0 : p.unrecorded > 0) return true;
        if (p.invoices >= Math.min(threshold + 3 * BATCH, deadline)) return (why = `${kill.mode} not seen, anywhere`), true;
        return false;
      };
      const output = await killCliWhen(platform.databaseEnv, ['billing-run', '--tenant', tenant.id, '--date', TODAY, '--batch', String(BATCH), '--json'], until, 180_000);
      const p = await progress();
      console.log(
        `kill ${i + 1} (${why}${kill.mode === 'anywhere' ? ` +${kill.delay} ms` : ''}, from ${threshold} invoices): ${p.invoices} invoices, ` +
          `${p.uncharged} attempts not charged, ${p.unrecorded} charges not recorded (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
      landed.push(p);
      // Killed, not finished (nor failed: a run that fails prints why).
      expect(output, `kill ${i + 1} came too late: the run ended`).toBe('');
      expect(await count(`select count(*) as n from app.billing_runs where tenant_id = $1 and finished_at is not null`)).toBe(0);
      await wholeBatches();
    }

    // The crash the issue is about happened: cards charged at the gateway, and the run gone before it wrote that down.
    expect(landed.some((l) => l.unrecorded > 0), 'no kill landed between charging and recording').toBe(true);

    // Restarted once more and left to finish; then once again, with nothing left to do.
    await lockReleased();
    console.log(`kills done after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const last = await runBilling(billingDeps(platform.runtime), tenant.id, new Date(), { batchSize: BATCH, today: TODAY });
    expect(last).toMatchObject({ period: '2026-12', charged: { unknown: 0 } });
    const again = await runBilling(billingDeps(platform.runtime), tenant.id, new Date(), { batchSize: BATCH, today: TODAY });
    expect(again).toMatchObject({ invoicesCreated: 0, reconciled: 0, retries: 0, charged: { succeeded: 0, failed: 0, unknown: 0 } });
    await wholeBatches();
    console.log(`final run done after ${((Date.now() - started) / 1000).toFixed(1)} s`, last);

    const one = async (query: string) => (await admin.query(query, query.includes('$2') ? [tenant.id, PERIOD] : [tenant.id])).rows[0];
    const none = async (what: string, query: string) => expect(Number((await one(`select count(*) as n from (${query}) x`)).n), what).toBe(0);

    // Every contract is billed through December, and every account has exactly one invoice for it.
    await none('contracts not billed through December', `select 1 from app.contracts where tenant_id = $1 and billed_through is distinct from $2`);
    expect(await count(`select count(*) as n from app.invoices where tenant_id = $1`)).toBe(accounts);
    await none('accounts without exactly one December invoice', `
      select 1 from app.members m
        left join (select billing_member_id, count(*) as n from app.invoices where tenant_id = $1 and period = $2 group by 1) i on i.billing_member_id = m.id
       where m.tenant_id = $1 and m.family_lead_id is null and coalesce(i.n, 0) <> 1`);
    await none('invoices of a family member (not the lead)', `
      select 1 from app.invoices i join app.members m on m.tenant_id = i.tenant_id and m.id = i.billing_member_id where i.tenant_id = $1 and m.family_lead_id is not null`);
    // Numbered 1..N: no gaps, no duplicates.
    expect(await one(`select count(*)::int as n, count(distinct number)::int as d, min(number)::int as lo, max(number)::int as hi from app.invoices where tenant_id = $1`))
      .toEqual({ n: accounts, d: accounts, lo: 1, hi: accounts });

    // Each charge once: exactly the expected (contract, month, code) lines, each on its account's invoice, and
    // each invoice's total is its lines' with the tax (10%, floor) once.
    const expectedLines = `
      select c.id as contract_id, mo::date as period,
             case when mo = date_trunc('month', c.start_date) and extract(day from c.start_date) <> 1 then 'first_month_fee' else 'monthly_fee' end as code,
             case when mo = date_trunc('month', c.start_date) and extract(day from c.start_date) <> 1
                  then floor(1000 * (extract(day from (date_trunc('month', c.start_date) + interval '1 month - 1 day')) - extract(day from c.start_date) + 1)
                             / extract(day from (date_trunc('month', c.start_date) + interval '1 month - 1 day')))::bigint
                  else 1000 end as amount
        from app.contracts c, generate_series(date_trunc('month', c.start_date), $2::date, interval '1 month') mo
       where c.tenant_id = $1
      union all
      select c.id, date_trunc('month', c.start_date)::date, 'enrollment_fee', 2000 from app.contracts c where c.tenant_id = $1`;
    const actualLines = `select l.contract_id, l.period, l.code, l.amount from app.invoice_lines l where l.tenant_id = $1`;
    expect(await count(`select count(*) as n from app.invoice_lines where tenant_id = $1`)).toBe(
      Number((await one(`select count(*) as n from (${expectedLines}) x`)).n),
    );
    await none('lines expected but missing', `(${expectedLines}) except (${actualLines})`);
    await none('lines not expected', `(${actualLines}) except (${expectedLines})`);
    await none('charges invoiced twice', `select 1 from app.invoice_lines where tenant_id = $1 group by contract_id, period, code having count(*) > 1`);
    await none('lines on another account\'s invoice', `
      select 1 from app.invoice_lines l
        join app.invoices i on i.tenant_id = l.tenant_id and i.id = l.invoice_id
        join app.contracts c on c.tenant_id = l.tenant_id and c.id = l.contract_id
        join app.members m on m.tenant_id = c.tenant_id and m.id = c.member_id
       where l.tenant_id = $1 and (l.member_id <> c.member_id or i.billing_member_id <> coalesce(m.family_lead_id, m.id))`);
    await none('totals that are not their lines plus tax', `
      select 1 from app.invoices i
       where i.tenant_id = $1
         and i.total <> (select sum(amount) + floor(sum(amount) * 10 / 100) from app.invoice_lines l where l.tenant_id = $1 and l.invoice_id = i.id)`);

    // No charge left in flight; at most one successful attempt per invoice, in our books and at the gateway.
    await none('attempts left pending', `select 1 from app.payment_attempts where tenant_id = $1 and status = 'pending'`);
    await none('invoices with more than one attempt', `select 1 from app.payment_attempts where tenant_id = $1 group by invoice_id having count(*) > 1`);
    await none('invoices with more than one successful attempt', `select 1 from app.payment_attempts where tenant_id = $1 and status = 'succeeded' group by invoice_id having count(*) > 1`);
    const atGateway = `
      select a.invoice_id, o.outcome, o.amount as charged, a.amount, a.status, a.gateway_ref, o.reference
        from app.test_gateway_operations o
        left join app.payment_attempts a on a.tenant_id = o.tenant_id and 'studiohive-attempt-' || a.id = o.idempotency_key
       where o.tenant_id = $1 and o.kind = 'charge'`;
    await none('gateway charges of no attempt of ours', `select 1 from (${atGateway}) g where invoice_id is null`);
    await none('attempts that never reached the gateway', `
      select 1 from app.payment_attempts a where a.tenant_id = $1
         and not exists (select 1 from app.test_gateway_operations o where o.tenant_id = $1 and o.idempotency_key = 'studiohive-attempt-' || a.id)`);
    await none('attempts recorded otherwise than the gateway decided', `select 1 from (${atGateway}) g where outcome <> status or charged <> amount or gateway_ref <> reference`);
    await none('invoices charged successfully more than once at the gateway', `select 1 from (${atGateway}) g where outcome = 'succeeded' group by invoice_id having count(*) > 1`);
    await none('paid invoices without exactly one successful charge at the gateway, or unpaid ones with one', `
      select 1 from app.invoices i
        left join (select invoice_id, count(*) as n from (${atGateway}) g where outcome = 'succeeded' group by invoice_id) s on s.invoice_id = i.id
       where i.tenant_id = $1 and (case when i.status = 'paid' then 1 else 0 end) <> coalesce(s.n, 0)`);

    // What each account's card did: a good card paid; a soft decline waits for its retry; a stolen card is
    // escalated at once; no card, no charge.
    const byCard = `
      select i.*, pm.token from app.invoices i
        left join app.payment_methods pm on pm.tenant_id = i.tenant_id and pm.member_id = i.billing_member_id and pm.detached_at is null
       where i.tenant_id = $1`;
    await none('good cards not paid', `select 1 from (${byCard}) x where token = '${GOOD}'
      and not (status = 'paid' and amount_paid = total and paid_at is not null and attempt_count = 1 and next_attempt_at is null and escalated_at is null)`);
    await none('soft declines not waiting for a retry', `select 1 from (${byCard}) x where token = '${INSUFFICIENT}'
      and not (status = 'open' and amount_paid = 0 and attempt_count = 1 and first_failed_at is not null and next_attempt_at = first_failed_at + interval '1 day' and escalated_at is null)`);
    await none('stolen cards not escalated', `select 1 from (${byCard}) x where token = '${STOLEN}'
      and not (status = 'open' and amount_paid = 0 and attempt_count = 1 and escalated_at is not null and next_attempt_at is null)`);
    await none('accounts without a card charged', `select 1 from (${byCard}) x where token is null
      and not (status = 'open' and amount_paid = 0 and attempt_count = 0 and not auto_charge
               and not exists (select 1 from app.payment_attempts a where a.tenant_id = $1 and a.invoice_id = x.id))`);
    const kinds = (await admin.query(`select coalesce(token, 'none') as card, status, count(*)::int as n from (${byCard}) x group by 1, 2 order by 1, 2`, [tenant.id])).rows;
    console.log('invoices by card and status', kinds);
    expect(kinds.map((k) => k.card).sort()).toEqual(['none', GOOD, INSUFFICIENT, STOLEN].sort());

    // Each account was told once: a soft decline that a retry follows, an overdue notice for a stolen card (and
    // the owner too).
    const told = await one(`
      select count(*) filter (where template = 'payment_failed')::int as failed,
             count(*) filter (where template = 'payment_overdue')::int as overdue,
             count(*) filter (where template = 'staff_invoice_overdue')::int as staff,
             (select count(*) from (${byCard}) x where token = '${INSUFFICIENT}')::int as soft,
             (select count(*) from (${byCard}) x where token = '${STOLEN}')::int as hard
        from app.outbox where tenant_id = $1`);
    expect(told).toEqual({ failed: told.soft, overdue: told.hard, staff: told.hard, soft: expect.any(Number), hard: expect.any(Number) });
    await none('accounts told twice', `select 1 from app.outbox where tenant_id = $1 group by to_address, subject having count(*) > 1`);

    // The ledger balances: per invoice, what is owed; overall, the charges are the invoices' totals and the
    // payments what the gateway collected.
    await none('invoices whose ledger is not what is owed', `
      select 1 from app.invoices i where i.tenant_id = $1
         and i.total - i.amount_paid <> (select coalesce(sum(amount), 0) from app.billing_ledger l where l.tenant_id = $1 and l.invoice_id = i.id)`);
    await none('invoices without exactly one charge entry', `
      select 1 from app.invoices i where i.tenant_id = $1
         and (select count(*) from app.billing_ledger l where l.tenant_id = $1 and l.invoice_id = i.id and l.kind = 'charge') <> 1`);
    const sums = await one(`
      select (select sum(amount) from app.billing_ledger where tenant_id = $1 and kind = 'charge')::bigint as charges,
             (select sum(total) from app.invoices where tenant_id = $1)::bigint as totals,
             (select -sum(amount) from app.billing_ledger where tenant_id = $1 and kind = 'payment')::bigint as payments,
             (select sum(amount_paid) from app.invoices where tenant_id = $1)::bigint as paid,
             (select sum(amount) from app.test_gateway_operations where tenant_id = $1 and kind = 'charge' and outcome = 'succeeded')::bigint as collected`);
    expect(sums.charges).toBe(sums.totals);
    expect(sums.payments).toBe(sums.paid);
    expect(sums.collected).toBe(sums.paid);
    expect(await count(`select count(*) as n from app.billing_ledger where tenant_id = $1 and kind not in ('charge', 'payment')`)).toBe(0);
    // The run's own record counted each invoice and each charge once, across all the restarts.
    expect(await one(`select invoices_created::int as invoices, charges_attempted::int as charges, finished_at is not null as finished from app.billing_runs where tenant_id = $1 and period = $2`))
      .toEqual({ invoices: accounts, charges: await count(`select count(*) as n from app.payment_attempts where tenant_id = $1`), finished: true });
    console.log(`billing-crash: ${CONTRACTS} contracts, ${accounts} accounts, ${KILLS} kills, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);
});
