import { runReservationUpkeep } from '../modules/reservations/upkeep.js';
import { Command, Option } from 'commander';
import { ConfigError } from '../config.js';
import { AppError } from '../platform/errors.js';
import { CliError, issueMessage } from './cli-error.js';
import type { Runtime } from '../platform/runtime.js';
import { withRuntime } from './with-runtime.js';
import { usageCommands } from './usage.js';
import { analyticsCommands } from './analytics.js';
import { limitsCommands } from './limits.js';
import { capacityCommands } from './capacity.js';
import { membersCommands } from './members.js';
import { archiveCommands } from './archive.js';
import { moveCommands } from './moves.js';
import { planRebalance, rebalance } from '../platform/tenancy/rebalance.js';
import { addPlacementBody, createTenantBody, domain as domainSchema } from '../platform/tenancy/tenants.schemas.js';
import { toPlacementDto } from '../platform/tenancy/tenants.service.js';
import { printRows } from './output.js';
import { isValidDate } from '../platform/calendar.js';
import { runMembershipDay } from '../modules/contracts/membership-run.js';
import { billingDeps, runBilling } from '../modules/billing/billing-run.js';

type TenantDto = Awaited<ReturnType<Runtime['tenants']['get']>>;
const summary = (t: TenantDto) => ({
  id: t.id,
  slug: t.slug,
  name: t.displayName,
  status: t.status,
  tier: t.tier,
  placement: t.placementId,
  plan: t.plan,
  domains: t.domains.join(','),
  created: t.createdAt,
});

const program = new Command('studiohive').description('Studiohive: operate the multi-tenant platform').showHelpAfterError();

program
  .command('start')
  .description('Start the server (the same as npm start)')
  .action(async () => {
    await import('../main.js');
  });

/** `migrate`'s exit code when the control plane is migrated but a placement failed (the others were migrated). */
const EXIT_PLACEMENT_FAILED = 3;

program
  .command('migrate')
  .description('Apply pending migrations to the control plane, then to every tenant placement (or one), and report each')
  .option('--placement <id>', 'after the control plane, migrate only this placement (a retry after a failure)')
  .option('--json', 'print the report as JSON')
  .action((o: { placement?: string; json?: boolean }) =>
    withRuntime(async (runtime) => {
      const report = await runtime.migrate({ placement: o.placement });
      const failed = report.placements.filter((p) => p.status === 'failed');
      for (const p of failed) console.error(`migrate: placement ${p.id} (${p.cluster}/${p.database}) failed: ${p.error}`);
      if (failed.length > 0) process.exitCode = EXIT_PLACEMENT_FAILED;
      if (o.json) return console.log(JSON.stringify(report, null, 2));
      const { applied, durationMs } = report.controlPlane;
      console.log(`Control plane: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'} (${durationMs} ms)\n`);
      printRows(report.placements.map((p) => ({
        id: p.id, tier: p.tier, cluster: p.cluster, database: p.database, status: p.status,
        applied: p.applied.length ? p.applied.join(', ') : '-', ms: p.durationMs, error: p.error,
      })), false);
      const ok = report.placements.length - failed.length;
      console.log(`\n${ok} placement(s) migrated${failed.length ? `, ${failed.length} failed: their tenants get 503 maintenance until \`studiohive migrate --placement ID\` succeeds` : ''}.`);
    }),
  );

const tenants = program.command('tenants').description('Create and manage tenants');

tenants
  .command('create')
  .description('Create a tenant and its owner account')
  .requiredOption('--slug <slug>', 'address label: {slug}.BASE_DOMAIN')
  .requiredOption('--name <name>', 'display name')
  .requiredOption('--owner-email <email>')
  .option('--owner-name <name>', 'owner display name', 'Owner')
  .option('--owner-password <password>', 'without it the owner gets an invitation link')
  .addOption(new Option('--tier <tier>').choices(['pool', 'silo']).default('pool'))
  .option('--plan <plan>', 'starter | standard | enterprise', 'standard')
  .addOption(new Option('--locale <locale>', 'the language of its web app, mails and documents').choices(['ja', 'en']).default('ja'))
  .option('--placement <id>', 'a pool cell, or a silo made ahead with `placements add --tier silo` (default: the cell with most room, or a new silo)')
  .option('--cluster <name>', 'the cluster of a new silo, or of the pool cell chosen: main or a name in EXTRA_CLUSTERS')
  .option('--json', 'print JSON')
  .action((o) =>
    withRuntime(async (runtime) => {
      const input = createTenantBody.parse({
        slug: o.slug,
        displayName: o.name,
        tier: o.tier,
        plan: o.plan,
        locale: o.locale,
        placementId: o.placement,
        cluster: o.cluster,
        owner: { email: o.ownerEmail, displayName: o.ownerName, password: o.ownerPassword },
      });
      const created = await runtime.tenants.create(input);
      if (o.json) return console.log(JSON.stringify(created, null, 2));
      printRows([summary({ ...created.tenant })], false);
      console.log(`\nOwner: ${created.owner.email}  at ${runtime.tenantUrl(created.tenant)}`);
      if (created.owner.setupToken) {
        console.log(`Invitation link: ${runtime.tenantUrl(created.tenant)}/reset-password?token=${created.owner.setupToken}`);
      }
    }),
  );

tenants
  .command('list')
  .description('List tenants')
  .addOption(new Option('--status <status>').choices(['active', 'suspended', 'deleted']))
  .option('--limit <n>', 'page size', '100')
  .option('--after <slug>', 'cursor')
  .option('--json', 'print JSON')
  .action((o) =>
    withRuntime(async (runtime) => {
      const page = await runtime.tenants.list({ status: o.status, after: o.after, limit: Number(o.limit) });
      printRows(page.items.map(summary), Boolean(o.json));
      if (page.nextCursor && !o.json) console.log(`\nMore: --after ${page.nextCursor}`);
    }),
  );

tenants
  .command('show <tenant>')
  .description('Show one tenant by id or slug')
  .option('--json', 'print JSON')
  .action((ref: string, o) =>
    withRuntime(async (runtime) => {
      const tenant = await runtime.tenants.get(ref);
      if (o.json) return console.log(JSON.stringify(tenant, null, 2));
      for (const [k, v] of Object.entries(tenant)) console.log(`${k.padEnd(12)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    }),
  );

for (const [name, description] of [
  ['suspend', 'Suspend a tenant: its addresses answer "suspended" within seconds'],
  ['resume', 'Resume a suspended tenant'],
] as const) {
  tenants
    .command(`${name} <tenant>`)
    .description(description)
    .action((ref: string) =>
      withRuntime(async (runtime) => {
        const tenant = await runtime.tenants[name](ref);
        console.log(`${tenant.slug} is now ${tenant.status}`);
      }),
    );
}

tenants
  .command('delete <tenant>')
  .description('Delete a tenant: soft delete now, rows purged by a job')
  .option('--purge-now', 'purge the rows in this process instead of waiting for the job')
  .action((ref: string, o) =>
    withRuntime(async (runtime) => {
      const tenant = await runtime.tenants.delete(ref);
      console.log(`${tenant.slug} is deleted; purge scheduled at ${tenant.purgeScheduledAt}`);
      if (o.purgeNow) {
        const result = await runtime.tenants.purge(tenant.id);
        console.log(`Purged ${result.rows} rows.`);
      }
    }),
  );

tenants
  .command('add-domain <tenant> <domain>')
  .description('Register a custom domain for a tenant')
  .action((ref: string, domain: string) =>
    withRuntime(async (runtime) => {
      const tenant = await runtime.tenants.addDomain(ref, domainSchema.parse(domain));
      console.log(`${tenant.slug} domains: ${tenant.domains.join(', ')}`);
    }),
  );

archiveCommands(tenants);
moveCommands(tenants);

const placements = program.command('placements').description('Pool cells and silos: where tenants live');

placements
  .command('list')
  .description('List placements with their tier, cluster, database and how full they are')
  .option('--json', 'print JSON')
  .action((o: { json?: boolean }) =>
    withRuntime(async (runtime) => printRows((await runtime.tenants.placements()).map(toPlacementDto), Boolean(o.json))),
  );

placements
  .command('add')
  .description('Add a pool cell (a database for many tenants) or an empty silo, on any configured cluster')
  .addOption(new Option('--tier <tier>').choices(['pool', 'silo']).makeOptionMandatory())
  .option('--cluster <name>', 'main, or a name in EXTRA_CLUSTERS', 'main')
  .option('--id <id>', 'placement id (default: {tier}-{cluster}-{random})')
  .option('--database <name>', 'database name (default: studiohive_{id})')
  .option('--capacity <n>', 'tenants a pool cell may hold (default 5000)')
  .option('--json', 'print JSON')
  .action((o: { tier: string; cluster: string; id?: string; database?: string; capacity?: string; json?: boolean }) =>
    withRuntime(async (runtime) => {
      const input = addPlacementBody.parse({
        tier: o.tier,
        cluster: o.cluster,
        id: o.id,
        database: o.database,
        tenantCapacity: o.capacity === undefined ? undefined : Number(o.capacity),
      });
      printRows([toPlacementDto(await runtime.tenants.addPlacement(input))], Boolean(o.json));
    }),
  );

placements
  .command('rebalance')
  .description('Propose moves that bring every pool cell under its warning threshold for tenants (platform.cell_tenants), smallest studios first, each to the cell with the most room; without --dry-run, carry them out one at a time')
  .option('--dry-run', 'only propose')
  .option('--cell <id...>', 'only move studios out of these cells')
  .option('--into <id...>', 'only move studios into these cells')
  .addOption(new Option('--method <method>', 'copy: the read-only copy even where logical replication could run').choices(['copy']))
  .option('--json', 'print JSON')
  .action((o: { dryRun?: boolean; cell?: string[]; into?: string[]; method?: 'copy'; json?: boolean }) =>
    withRuntime(async (runtime) => {
      const scope = { from: o.cell, into: o.into };
      const plan = await planRebalance(runtime, scope);
      if (o.json && o.dryRun) return console.log(JSON.stringify(plan, null, 2));
      if (!o.json) {
        printRows(plan.cells.map((c) => ({ cell: c.id, cluster: c.cluster, tenants: c.tenants, capacity: c.capacity, warningAt: c.warnAt, after: c.after })), false);
        console.log(plan.moves.length === 0 ? '\nEvery pool cell is under its warning threshold: nothing to move.' : `\n${plan.moves.length} move(s)${o.dryRun ? ' proposed' : ', one at a time'}:`);
        printRows(plan.moves.map((m) => ({ tenant: m.tenant.slug, members: m.tenant.members, from: m.from, to: m.to })), false);
        for (const s of plan.stillOver) console.log(`${s.cell} stays at ${s.tenants} tenants (warning at ${s.warnAt}): no other cell has room. Add one: studiohive placements add --tier pool`);
      }
      if (o.dryRun || plan.moves.length === 0) return;
      const done = await rebalance(runtime, plan, {
        method: o.method,
        onMove: (m, r) => (o.json ? undefined : console.log(`moved ${m.tenant.slug} ${m.from} → ${m.to} (${r.plan.method}, changes paused ${r.writePauseMs} ms)`)),
      });
      if (o.json) console.log(JSON.stringify({ plan, done }, null, 2));
    }),
  );

program
  .command('membership-day')
  .description('Run the daily membership job now (status changes due, credit grants, expiries), as the worker does hourly')
  .option('--tenant <tenant>', 'one tenant (id or slug); all tenants when left out')
  .option('--date <YYYY-MM-DD>', "run as this day, to its last moment in each tenant's time zone: retries, escalation and final actions follow it too (default: now)")
  .option('--json', 'print JSON')
  .action((o: { tenant?: string; date?: string; json?: boolean }) =>
    withRuntime(async (runtime) => {
      if (o.date !== undefined && !isValidDate(o.date)) throw new CliError('--date must be a calendar date, YYYY-MM-DD');
      const ids = o.tenant ? [(await runtime.tenants.get(o.tenant)).id] : await runtime.tenants.liveIds();
      const results = [];
      for (const id of ids) {
        const result = await runMembershipDay(runtime.directory, id, runtime.clock.now(), o.date);
        if (result) results.push(result);
      }
      printRows(results, Boolean(o.json));
    }),
  );

program
  .command('reservations-upkeep')
  .description('Run reservation upkeep now (lapsed waitlist offers, waitlist promotion, no-shows), as the worker does every minute')
  .option('--tenant <tenant>', 'one tenant (id or slug); all tenants when left out')
  .option('--json', 'print JSON')
  .action((o: { tenant?: string; json?: boolean }) =>
    withRuntime(async (runtime) => {
      const ids = o.tenant ? [(await runtime.tenants.get(o.tenant)).id] : await runtime.tenants.liveIds();
      const results = [];
      for (const id of ids) {
        const result = await runReservationUpkeep(runtime, id, runtime.clock.now());
        if (result) results.push(result);
      }
      printRows(results, Boolean(o.json));
    }),
  );

program
  .command('billing-run')
  .description("Run billing now (invoice what is due, charge, settle pending charges, dunning retries), as the worker does hourly")
  .option('--tenant <tenant>', 'one tenant (id or slug); all tenants when left out')
  .option('--date <YYYY-MM-DD>', "run as this day, to its last moment in each tenant's time zone: retries, escalation and final actions follow it too (default: now)")
  .option('--batch <n>', 'billing accounts per transaction', '500')
  .option('--json', 'print JSON')
  .action((o: { tenant?: string; date?: string; batch: string; json?: boolean }) =>
    withRuntime(async (runtime) => {
      if (o.date !== undefined && !isValidDate(o.date)) throw new CliError('--date must be a calendar date, YYYY-MM-DD');
      const batchSize = Number(o.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new CliError('--batch must be a whole number from 1 to 10000');
      const ids = o.tenant ? [(await runtime.tenants.get(o.tenant)).id] : await runtime.tenants.liveIds();
      const results = [];
      for (const id of ids) {
        const result = await runBilling(billingDeps(runtime), id, runtime.clock.now(), { batchSize, ...(o.date ? { today: o.date } : {}) });
        if (!result) continue;
        if (result.skipped) console.error(`billing-run: tenant ${id} skipped: ${result.skipped}`);
        results.push({ ...result, charged: `${result.charged.succeeded} ok, ${result.charged.failed} failed, ${result.charged.unknown} unknown` });
      }
      printRows(results, Boolean(o.json));
      // EX_TEMPFAIL: nothing went wrong, but a tenant was not run; running again later will.
      if (results.some((r) => r.skipped)) process.exitCode = 75;
    }),
  );

usageCommands(program);
analyticsCommands(program);
limitsCommands(program);
capacityCommands(program);
membersCommands(program);

program.parseAsync().catch((error: unknown) => {
  // An AppError's message is its English rendering.
  if (error instanceof ConfigError || error instanceof AppError || error instanceof CliError) console.error(error.message);
  else if (error && typeof error === 'object' && 'issues' in error) {
    console.error((error as { issues: Array<{ path: PropertyKey[]; message: string }> }).issues.map((i) => `${i.path.join('.')}: ${issueMessage(i.message)}`).join('\n'));
  } else console.error(error);
  process.exitCode = error instanceof CliError ? error.exitCode : error instanceof AppError && error.status < 500 ? 2 : 1;
});
