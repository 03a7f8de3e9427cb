/**
 * Noisy neighbour (section 7): one tenant driven at 10× its request rate limit while another sends a modest,
 * steady load; the quiet tenant's latency and errors without and with the noisy one, and how many of the noisy
 * tenant's requests were answered 429. Then the same with RATE_LIMIT=false, for contrast.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { promisify } from 'node:util';
import { startAppServer, startBenchCluster, withAdmin, type AppServer, type BenchCluster } from './cluster.js';
import { createPooledTenants, type DensitySettings, type TenantCredential } from './density.js';
import { REPO_ROOT, fmt, log, table, unmeasuredSection } from './lib.js';

export interface NoisyPorts {
  pg: number;
  app: number;
}

export interface NoisySettings {
  /** The noisy tenant's apiRequestsPerMinute for the run. */
  limitPerMinute: number;
  /** How many times its limit the noisy tenant sends. */
  factor: number;
  /** The quiet tenant's steady rate, requests/s (its own limit is raised so it never meets it). */
  quietRate: number;
  quietConnections: number;
  noisyConnections: number;
  /** Each measured phase, in seconds. */
  phaseS: number;
  warmupS: number;
  membersPerTenant: number;
}

/** The subset of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number };
  requests: { total: number; sent: number };
  statusCodeStats: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: {
  url: string;
  headers: Record<string, string>;
  connections: number;
  duration: number;
  overallRate?: number;
  timeout?: number;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface TrafficFigures {
  sent: number;
  ratePerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  byStatus: Record<string, number>;
  /** Socket errors and timeouts (answers of any status are in byStatus). */
  errors: number;
}

export interface NoisyPhase {
  label: string;
  rateLimit: boolean;
  quiet: TrafficFigures;
  noisy: TrafficFigures | null;
}

export type NoisyOutcome =
  | { skipped: string }
  | { settings: NoisySettings; phases: NoisyPhase[]; path: string; loadAverage: { start: number[]; end: number[] }; seconds: number };

const PATH = '/api/members?limit=25';

function figures(r: AutocannonResult): TrafficFigures {
  const byStatus = Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count]));
  const answered = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    sent: answered + r.errors,
    ratePerS: answered / r.duration,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    byStatus,
    errors: r.errors + r.timeouts,
  };
}

const loadOptions = (port: number, cred: TenantCredential, d: DensitySettings, connections: number, rate: number, seconds: number) => ({
  url: `http://127.0.0.1:${port}${PATH}`,
  headers: { host: `${cred.slug}.${d.baseDomain}`, authorization: `Bearer ${cred.token}` },
  connections,
  duration: seconds,
  overallRate: rate,
  timeout: 30,
});

/** The quiet tenant's load, measured in this process. */
const drive = (...args: Parameters<typeof loadOptions>) => autocannon(loadOptions(...args));

/** The noisy tenant's load, in a process of its own so its work does not delay the quiet load's measurement. */
async function driveElsewhere(...args: Parameters<typeof loadOptions>): Promise<AutocannonResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/autocannon-child.ts', JSON.stringify(loadOptions(...args))], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as AutocannonResult;
}

/** Two tenants with the same book: members to list, so every answered request reads rows under RLS. */
async function seed(cluster: BenchCluster, creds: TenantCredential[], s: NoisySettings) {
  const [noisy, quiet] = creds;
  await withAdmin(cluster.adminUrl, async (c) => {
    for (const t of creds) {
      await c.query(
        `insert into app.members (tenant_id, member_number, family_name) select $1, n, 'Member ' || n from generate_series(1, $2) n`,
        [t.id, s.membersPerTenant],
      );
    }
    await c.query(`update platform.tenants set limits = limits || jsonb_build_object('apiRequestsPerMinute', $2::int) where id = $1`, [noisy!.id, s.limitPerMinute]);
    // The quiet tenant's own limit is far above what it sends: only the noisy tenant meets a limit.
    await c.query(`update platform.tenants set limits = limits || jsonb_build_object('apiRequestsPerMinute', $2::int) where id = $1`, [quiet!.id, s.quietRate * 60 * 100]);
  });
}

async function phases(server: AppServer, rateLimit: boolean, creds: TenantCredential[], s: NoisySettings, d: DensitySettings): Promise<NoisyPhase[]> {
  const [noisy, quiet] = creds as [TenantCredential, TenantCredential];
  const mode = rateLimit ? 'rate limit on' : 'RATE_LIMIT=false';
  log(`noisy neighbour (${mode}): warm-up ${s.warmupS} s, quiet tenant only`);
  await drive(server.port, quiet, d, s.quietConnections, s.quietRate, s.warmupS);
  log(`noisy neighbour (${mode}): quiet tenant alone, ${s.phaseS} s at ${s.quietRate}/s`);
  const alone = figures(await drive(server.port, quiet, d, s.quietConnections, s.quietRate, s.phaseS));
  const noisyRate = Math.round((s.limitPerMinute * s.factor) / 60);
  log(`noisy neighbour (${mode}): quiet tenant with the noisy one at ${noisyRate}/s (${s.factor}× ${s.limitPerMinute}/min), ${s.phaseS} s`);
  const [withNoisy, noise] = await Promise.all([
    drive(server.port, quiet, d, s.quietConnections, s.quietRate, s.phaseS),
    driveElsewhere(server.port, noisy, d, s.noisyConnections, noisyRate, s.phaseS),
  ]);
  return [
    { label: 'Quiet tenant alone', rateLimit, quiet: alone, noisy: null },
    { label: `With the noisy tenant at ${s.factor}× its limit`, rateLimit, quiet: figures(withNoisy), noisy: figures(noise) },
  ];
}

export async function runNoisyNeighbour(ports: NoisyPorts, s: NoisySettings, d: DensitySettings): Promise<NoisyOutcome> {
  const t0 = performance.now();
  const loadAtStart = os.loadavg();
  const cluster = await startBenchCluster('noisy', ports.pg, d.pgPassword);
  try {
    const { creds } = await createPooledTenants(cluster, { ...d, tenants: 2, passwordSample: 0 });
    await seed(cluster, creds, s);
    const settings = { databaseUrl: cluster.adminUrl, appPassword: d.appPassword, platformPassword: d.platformPassword, adminToken: d.adminToken, baseDomain: d.baseDomain };
    const results: NoisyPhase[] = [];
    for (const rateLimit of [true, false]) {
      const server = await startAppServer(`noisy-${rateLimit ? 'limited' : 'unlimited'}`, ports.app, settings, undefined, { RATE_LIMIT: String(rateLimit) });
      try {
        results.push(...(await phases(server, rateLimit, creds, s, d)));
      } finally {
        await server.stop();
      }
    }
    return { settings: s, phases: results, path: PATH, loadAverage: { start: loadAtStart, end: os.loadavg() }, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await cluster.stop();
  }
}

const ms = (v: number) => fmt(v, 1);
const n0 = (v: number) => fmt(v, 0);
const statusList = (t: TrafficFigures) =>
  Object.entries(t.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${n0(v)}`)
    .join(', ');
const quietErrors = (t: TrafficFigures) => t.errors + Object.entries(t.byStatus).filter(([k]) => !k.startsWith('2')).reduce((a, [, v]) => a + v, 0);

export function noisyHeadline(r: NoisyOutcome | undefined): string[] {
  if (!r || 'skipped' in r) return [];
  const [alone, withNoisy, , unlimited] = r.phases;
  if (!alone || !withNoisy?.noisy) return [];
  const line = `- Noisy neighbour: the quiet tenant's p99 **${ms(alone.quiet.p99Ms)} ms** alone, **${ms(withNoisy.quiet.p99Ms)} ms** with another tenant at ${r.settings.factor}× its ${n0(r.settings.limitPerMinute)} requests/min limit (${n0(withNoisy.noisy.byStatus['429'] ?? 0)} of its ${n0(withNoisy.noisy.sent)} requests answered 429)`;
  return [unlimited ? `${line}; **${ms(unlimited.quiet.p99Ms)} ms** with RATE_LIMIT=false.` : `${line}.`];
}

export function renderNoisySection(r: NoisyOutcome | undefined, n: number): string {
  const heading = `## ${n}. Noisy neighbour`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const out: string[] = [heading];
  const s = r.settings;
  out.push(`### Method

- **Data.** A bench cluster of its own (\`noisy\`), two pooled tenants created through \`runtime.tenants.create\` with ${n0(s.membersPerTenant)} members each (inserted as the superuser) and one staff session each. The noisy tenant's \`apiRequestsPerMinute\` is set to ${n0(s.limitPerMinute)} for the run; the quiet tenant's to ${n0(s.quietRate * 60 * 100)}, so it never meets its own.
- **Server.** The real server process (\`node --import tsx src/main.ts\`, \`DB_POOL_MAX=10\`), started once with the rate limit on (the default) and once with \`RATE_LIMIT=false\`.
- **Load.** Both tenants send \`GET ${r.path}\` with their owner's session (tenant resolution, session lookup under RLS, a page of 25 members), open loop at a fixed rate with autocannon's programmatic API (\`overallRate\`): the quiet tenant ${n0(s.quietRate)} requests/s over ${s.quietConnections} connections; the noisy tenant ${n0((s.limitPerMinute * s.factor) / 60)} requests/s (${s.factor}× its limit) over ${s.noisyConnections} connections. On each server: ${s.warmupS} s warm-up (quiet tenant only), ${s.phaseS} s with the quiet tenant alone, then ${s.phaseS} s with both at once. The server counts a sixth of the per-minute limit per 10-second window (from the tenant's first request in it), so the noisy tenant gets at most ${n0(Math.ceil(s.limitPerMinute / 6))} answers per 10 s and 429 for the rest.
- Latency is autocannon's, client side: the quiet tenant's load is measured in the bench process, the noisy tenant's load runs in a process of its own (\`bench/autocannon-child.ts\`), so its work does not delay the quiet measurement's event loop; the app server, PostgreSQL and both load generators share the same 2 cores.
- Load average (1/5/15 min) when this section started: ${r.loadAverage.start.map((x) => fmt(x, 2)).join(' / ')}; when it ended: ${r.loadAverage.end.map((x) => fmt(x, 2)).join(' / ')}.`);
  out.push('### Quiet tenant');
  out.push(
    table(
      ['Server', 'Phase', 'Requests', 'Per second', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'Max (ms)', 'Errors (non-2xx + socket)'],
      r.phases.map((p) => [p.rateLimit ? 'rate limit on' : 'RATE_LIMIT=false', p.label, n0(p.quiet.sent), n0(p.quiet.ratePerS), ms(p.quiet.p50Ms), ms(p.quiet.p90Ms), `**${ms(p.quiet.p99Ms)}**`, ms(p.quiet.maxMs), n0(quietErrors(p.quiet))]),
    ),
  );
  out.push('### Noisy tenant');
  out.push(
    table(
      ['Server', 'Requests', 'Answered per second', 'Answers by status', 'Socket errors', 'p50 (ms)', 'p99 (ms)'],
      r.phases.filter((p) => p.noisy).map((p) => [p.rateLimit ? 'rate limit on' : 'RATE_LIMIT=false', n0(p.noisy!.sent), n0(p.noisy!.ratePerS), statusList(p.noisy!), n0(p.noisy!.errors), ms(p.noisy!.p50Ms), ms(p.noisy!.p99Ms)]),
    ),
  );
  const [onAlone, onWith, offAlone, offWith] = r.phases;
  if (onAlone && onWith?.noisy && offAlone && offWith?.noisy) {
    const served = (p: typeof onWith) => p.noisy!.byStatus['200'] ?? 0;
    out.push(
      '### Reading it',
      `- The quiet tenant's p99 with the noisy one at ${s.factor}× its limit is **${fmt(onWith.quiet.p99Ms / onAlone.quiet.p99Ms, 1)}×** its p99 alone with the rate limit on, and ${fmt(offWith.quiet.p99Ms / offAlone.quiet.p99Ms, 1)}× with it off; no quiet request failed in either.`,
      `- What the limit changes is the noisy tenant's share of the database: ${n0(served(onWith))} of its requests were served (its allowance) instead of ${n0(served(offWith))}; the rest were refused in \`onRequest\`, before a body, a session or a transaction. At this rate the server could also serve the unlimited flood on 2 cores, so this run does not show the limit improving the quiet tenant's latency (the 429s still cost an HTTP answer each, on the cores the quiet tenant shares); it shows the limit holding the noisy tenant to its allowance. A flood far past what one server can answer belongs to a proxy or load balancer in front.`,
    );
  }
  return out.join('\n\n');
}
