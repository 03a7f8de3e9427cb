/**
 * Noisy neighbour (section 7): one tenant driven at 10× its request rate limit while another sends a modest,
 * steady load; the quiet tenant's latency and errors without and with the noisy one, and how many of the noisy
 * tenant's requests were answered 429. Then the same with RATE_LIMIT=false, for contrast. Then, with RATE_LIMIT=false
 * so that only the database's fair admission stands between tenants (issue 17), at saturation: the rate one tenant
 * is answered at when it asks for more (the server's capacity), the quiet tenant beside a flood at twice that, and
 * equal tenants flooding at once, each with its share of the answers.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { promisify } from 'node:util';
import { startAppServer, startBenchCluster, withAdmin, type AppServer, type BenchCluster } from './cluster.js';
import { createPooledTenants, type DensitySettings, type TenantCredential } from './density.js';
import { REPO_ROOT, fmt, log, sleep, table, unmeasuredSection } from './lib.js';

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
  saturation: SaturationSettings;
}

/** The phases at saturation, on a server of their own with RATE_LIMIT=false. */
export interface SaturationSettings {
  /** The one tenant's closed-loop connections while its capacity is measured. */
  capacityConnections: number;
  capacityS: number;
  /** Each measured phase after the capacity, in seconds. */
  phaseS: number;
  /** The flood's rate, as a multiple of the measured capacity. */
  floodFactor: number;
  floodConnections: number;
  /** Tenants (besides the noisy and the quiet one) flooding at once, each at the measured capacity. */
  equalTenants: number;
  equalConnections: number;
  /** The server's pool and admission settings (its DB_POOL_MAX and ADMISSION_* environment). */
  poolMax: number;
  tenantShare: number;
  queueMax: number;
  waitMs: number;
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
  /** Dates, or their ISO strings once passed through JSON from the child process. */
  start: Date | string;
  finish: Date | string;
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
  /** Of those errors, the requests not answered within autocannon's timeout. */
  timeouts: number;
  /** How long the load ran. */
  seconds: number;
}

export interface NoisyPhase {
  label: string;
  rateLimit: boolean;
  quiet: TrafficFigures;
  noisy: TrafficFigures | null;
}

/** os.loadavg() (1/5/15 min) before and after a part, so a busy machine shows in the part it disturbed. */
export interface LoadAverage {
  before: number[];
  after: number[];
}

export interface SaturationOutcome {
  settings: SaturationSettings;
  quietRate: number;
  quietConnections: number;
  /** The one tenant's closed-loop load; its 200 answers per second are the capacity. */
  capacity: { load: TrafficFigures; loadAverage: LoadAverage };
  flood: {
    ratePerS: number;
    leadS: number;
    /** Whether the flood ran from before the quiet load's start to after its end (false: the child started late). */
    coveredQuiet: boolean;
    quietAlone: TrafficFigures;
    quietWithFlood: TrafficFigures;
    noisy: TrafficFigures;
    loadAverage: LoadAverage;
  };
  equal: { ratePerS: number; tenants: Array<{ slug: string; load: TrafficFigures }>; loadAverage: LoadAverage };
}

export type NoisyOutcome =
  | { skipped: string }
  | {
      settings: NoisySettings;
      phases: NoisyPhase[];
      /** Absent from results saved before the saturation phases were added. */
      saturation?: SaturationOutcome;
      path: string;
      loadAverage: { start: number[]; end: number[] };
      seconds: number;
    };

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
    // autocannon counts a timeout among its errors too.
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.duration,
  };
}

/** A rate of undefined is a closed loop: every connection sends its next request as soon as the last is answered. */
const loadOptions = (port: number, cred: TenantCredential, d: DensitySettings, connections: number, rate: number | undefined, seconds: number) => ({
  url: `http://127.0.0.1:${port}${PATH}`,
  headers: { host: `${cred.slug}.${d.baseDomain}`, authorization: `Bearer ${cred.token}` },
  connections,
  duration: seconds,
  ...(rate === undefined ? {} : { overallRate: rate }),
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

/**
 * Tenants with the same book (the noisy one, the quiet one, then the equal ones of the saturation phases): members
 * to list, so every answered request reads rows under RLS.
 */
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

/** The flood starts this long before the quiet load it is measured against, and ends after it. */
const FLOOD_LEAD_S = 3;
/** A pause after a load beyond capacity, so that requests still queued at the server are served before the next part. */
const SETTLE_MS = 2_000;

const served = (t: TrafficFigures) => t.byStatus['200'] ?? 0;
const servedPerS = (t: TrafficFigures) => served(t) / t.seconds;

async function saturationPhases(server: AppServer, creds: TenantCredential[], s: NoisySettings, d: DensitySettings): Promise<SaturationOutcome> {
  const sat = s.saturation;
  const [noisy, quiet, ...equals] = creds as [TenantCredential, TenantCredential, ...TenantCredential[]];
  log(`noisy neighbour (saturation): warm-up ${s.warmupS} s, quiet tenant only`);
  await drive(server.port, quiet, d, s.quietConnections, s.quietRate, s.warmupS);

  let before = os.loadavg();
  log(`noisy neighbour (saturation): capacity, one tenant in a closed loop over ${sat.capacityConnections} connections, ${sat.capacityS} s`);
  const capacityLoad = figures(await drive(server.port, noisy, d, sat.capacityConnections, undefined, sat.capacityS));
  const capacity = { load: capacityLoad, loadAverage: { before, after: os.loadavg() } };
  const capacityPerS = servedPerS(capacityLoad);
  log(`noisy neighbour (saturation): capacity ${capacityPerS.toFixed(0)} answers 200/s (by status: ${JSON.stringify(capacityLoad.byStatus)}, ${capacityLoad.errors} errors)`);
  if (capacityPerS < 1) throw new Error(`Noisy neighbour: the server answered ${served(capacityLoad)} requests 200 in ${sat.capacityS} s; nothing to measure at saturation`);
  await sleep(SETTLE_MS);

  before = os.loadavg();
  log(`noisy neighbour (saturation): quiet tenant alone, ${sat.phaseS} s at ${s.quietRate}/s`);
  const quietAlone = figures(await drive(server.port, quiet, d, s.quietConnections, s.quietRate, sat.phaseS));
  const floodRate = Math.round(capacityPerS * sat.floodFactor);
  log(`noisy neighbour (saturation): quiet tenant with a flood at ${floodRate}/s (${sat.floodFactor}× the capacity), ${sat.phaseS} s`);
  // The flood's process takes a moment to start: the flood begins first and ends after the quiet load, so every
  // quiet request measured meets it.
  const [noisyLoad, quietWithFlood] = await Promise.all([
    driveElsewhere(server.port, noisy, d, sat.floodConnections, floodRate, sat.phaseS + 2 * FLOOD_LEAD_S),
    sleep(FLOOD_LEAD_S * 1000).then(() => drive(server.port, quiet, d, s.quietConnections, s.quietRate, sat.phaseS)),
  ]);
  const time = (when: Date | string) => new Date(when).getTime();
  const coveredQuiet = time(noisyLoad.start) <= time(quietWithFlood.start) && time(noisyLoad.finish) >= time(quietWithFlood.finish);
  const flood = {
    ratePerS: floodRate,
    leadS: FLOOD_LEAD_S,
    coveredQuiet,
    quietAlone,
    quietWithFlood: figures(quietWithFlood),
    noisy: figures(noisyLoad),
    loadAverage: { before, after: os.loadavg() },
  };
  await sleep(SETTLE_MS);

  before = os.loadavg();
  const equalRate = Math.round(capacityPerS);
  log(`noisy neighbour (saturation): ${equals.length} tenants at ${equalRate}/s each at once, ${sat.phaseS} s`);
  // All in this process, started in the same tick: a process each would start them up to a second apart, and the
  // first would have the server to itself meanwhile.
  const equalLoads = await Promise.all(equals.map((t) => drive(server.port, t, d, sat.equalConnections, equalRate, sat.phaseS)));
  const equal = { ratePerS: equalRate, tenants: equals.map((t, i) => ({ slug: t.slug, load: figures(equalLoads[i]!) })), loadAverage: { before, after: os.loadavg() } };

  return { settings: sat, quietRate: s.quietRate, quietConnections: s.quietConnections, capacity, flood, equal };
}

export async function runNoisyNeighbour(ports: NoisyPorts, s: NoisySettings, d: DensitySettings): Promise<NoisyOutcome> {
  const t0 = performance.now();
  const loadAtStart = os.loadavg();
  const cluster = await startBenchCluster('noisy', ports.pg, d.pgPassword);
  try {
    const { creds } = await createPooledTenants(cluster, { ...d, tenants: 2 + s.saturation.equalTenants, passwordSample: 0 });
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
    const sat = s.saturation;
    const server = await startAppServer('noisy-saturation', ports.app, settings, undefined, {
      RATE_LIMIT: 'false',
      DB_POOL_MAX: String(sat.poolMax),
      ADMISSION_TENANT_SHARE: String(sat.tenantShare),
      ADMISSION_QUEUE_MAX: String(sat.queueMax),
      ADMISSION_WAIT_MS: String(sat.waitMs),
    });
    let saturation: SaturationOutcome;
    try {
      saturation = await saturationPhases(server, creds, s, d);
    } finally {
      await server.stop();
    }
    return { settings: s, phases: results, saturation, path: PATH, loadAverage: { start: loadAtStart, end: os.loadavg() }, seconds: (performance.now() - t0) / 1000 };
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
const loadText = (l: number[]) => l.map((x) => fmt(x, 2)).join(' / ');
const pct = (v: number) => `${fmt(v * 100, 1)} %`;
const signedPct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v) * 100, 1)} %` : 'n/a');

/** The aims of issue 17. */
const QUIET_P99_AIM = 2;
const SHARE_AIM = 0.2;

/** Each equal tenant's part of all the 200 answers, and how far it is from an equal part (0.1 = 10 % more). */
function shares(r: SaturationOutcome) {
  const total = r.equal.tenants.reduce((a, t) => a + served(t.load), 0);
  const n = r.equal.tenants.length;
  const rows = r.equal.tenants.map((t) => {
    const share = total > 0 ? served(t.load) / total : Number.NaN;
    return { ...t, share, deviation: share * n - 1 };
  });
  const maxDeviation = rows.reduce((a, t) => Math.max(a, Math.abs(t.deviation)), 0);
  const totalPerS = r.equal.tenants.reduce((a, t) => a + servedPerS(t.load), 0);
  return { rows, total, totalPerS, maxDeviation: total > 0 ? maxDeviation : Number.NaN };
}

const met = (ok: boolean) => (ok ? 'met' : '**not met**');

export function noisyHeadline(r: NoisyOutcome | undefined): string[] {
  if (!r || 'skipped' in r) return [];
  const [alone, withNoisy, , unlimited] = r.phases;
  if (!alone || !withNoisy?.noisy) return [];
  const line = `- Noisy neighbour: the quiet tenant's p99 **${ms(alone.quiet.p99Ms)} ms** alone, **${ms(withNoisy.quiet.p99Ms)} ms** with another tenant at ${r.settings.factor}× its ${n0(r.settings.limitPerMinute)} requests/min limit (${n0(withNoisy.noisy.byStatus['429'] ?? 0)} of its ${n0(withNoisy.noisy.sent)} requests answered 429)`;
  const lines = [unlimited ? `${line}; **${ms(unlimited.quiet.p99Ms)} ms** with RATE_LIMIT=false.` : `${line}.`];
  const sat = r.saturation;
  if (sat) {
    const quietRatio = sat.flood.quietWithFlood.p99Ms / sat.flood.quietAlone.p99Ms;
    const { maxDeviation } = shares(sat);
    lines.push(
      `- Noisy neighbour at saturation (fair admission, RATE_LIMIT=false; one tenant is answered **${n0(servedPerS(sat.capacity.load))} requests/s** at most): the quiet tenant's p99 **${ms(sat.flood.quietAlone.p99Ms)} ms** alone, **${ms(sat.flood.quietWithFlood.p99Ms)} ms** beside a flood at ${sat.settings.floodFactor}× that (${fmt(quietRatio, 1)}×; aim ≤ ${QUIET_P99_AIM}×, ${met(quietRatio <= QUIET_P99_AIM)}); ${sat.equal.tenants.length} equal tenants flooding at once each got within **±${pct(maxDeviation)}** of an equal share (aim ±${pct(SHARE_AIM)}, ${met(maxDeviation <= SHARE_AIM)}).`,
    );
  }
  return lines;
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
- Load average (1/5/15 min) when this section started: ${loadText(r.loadAverage.start)}; when it ended: ${loadText(r.loadAverage.end)}.`);
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
  if (r.saturation) out.push(...renderSaturation(r.saturation, r.path));
  return out.join('\n\n');
}

const quietRow = (label: string, q: TrafficFigures) => [label, n0(q.sent), n0(q.ratePerS), ms(q.p50Ms), ms(q.p90Ms), `**${ms(q.p99Ms)}**`, ms(q.maxMs), n0(quietErrors(q))];

function renderSaturation(r: SaturationOutcome, path: string): string[] {
  const s = r.settings;
  const perTenant = Math.max(1, Math.floor(s.poolMax * s.tenantShare)); // as the gate computes it for a pool cell
  const capacityPerS = servedPerS(r.capacity.load);
  const f = r.flood;
  const out: string[] = [];
  out.push(`### At saturation: method

Issue 17: one tenant sends more than the server can serve. The rate limit is off here, so only the database's fair admission (\`src/platform/db/admission.ts\`) stands between the tenants.

- **Server.** A third server process on the same cluster and tenants, with \`RATE_LIMIT=false\`, \`DB_POOL_MAX=${s.poolMax}\`, \`ADMISSION_TENANT_SHARE=${s.tenantShare}\` (one tenant holds at most ${perTenant} of the ${s.poolMax} connections at once), \`ADMISSION_QUEUE_MAX=${n0(s.queueMax)}\` and \`ADMISSION_WAIT_MS=${n0(s.waitMs)}\` (a refusal is a 503). ${r.equal.tenants.length} more tenants with the same book and an owner's session each; every load sends the same \`GET ${path}\`. All parts ran one after another on this server, after a warm-up with the quiet tenant, with ${SETTLE_MS / 1000} s between parts for queued requests to drain.
- **Capacity.** The noisy tenant alone in a closed loop: ${s.capacityConnections} connections, each sending its next request as soon as the last is answered, for ${s.capacityS} s. Its 200 answers per second are the most the server answers one tenant that asks for more; the loads below are set from it.
- **Quiet tenant beside a flood.** The quiet tenant at ${n0(r.quietRate)} requests/s over ${r.quietConnections} connections (open loop, measured in the bench process) for ${s.phaseS} s alone, then ${s.phaseS} s while the noisy tenant floods at ${s.floodFactor}× the capacity, ${n0(f.ratePerS)} requests/s over ${s.floodConnections} connections (\`overallRate\`, in its own process as above). The flood's process is started ${f.leadS} s before the quiet load and floods for ${2 * f.leadS} s longer than it (a process takes a moment to start), so every quiet request measured meets the flood${f.coveredQuiet ? '' : ' (**not so in this run**: the flood\'s process started late, so the first quiet requests met no flood)'}; the flood's figures cover its own ${fmt(f.noisy.seconds, 1)} s. autocannon keeps one request in flight per connection, so the flood has at most ${s.floodConnections} in flight: once its answers take longer than ${s.floodConnections} ÷ ${n0(f.ratePerS)} s, it sends fewer than ${n0(f.ratePerS)} a second ("Sent per second" is what it managed).
- **Equal tenants.** ${r.equal.tenants.length} other tenants at once, each at the capacity (${n0(r.equal.ratePerS)} requests/s over ${s.equalConnections} connections, open loop with at most ${s.equalConnections} in flight as above, so together ${r.equal.tenants.length}× what one tenant is answered), all started together in the bench process, for ${s.phaseS} s. A tenant's share is its part of all their 200 answers; its deviation is how far that is from 1/${r.equal.tenants.length}, relative to 1/${r.equal.tenants.length}.
- Latency is autocannon's, client side, of 200 answers only. Load average (1/5/15 min) before and after each part is under its table.`);

  const c = r.capacity.load;
  out.push('### At saturation: the capacity for one tenant');
  out.push(
    table(
      ['Connections', 'Seconds', 'Answered 200', '**200 per second (capacity)**', 'Other answers', 'Socket errors + timeouts', 'p50 (ms)', 'p99 (ms)'],
      [[String(s.capacityConnections), fmt(c.seconds, 1), n0(served(c)), `**${n0(capacityPerS)}**`, otherAnswers(c), n0(c.errors), ms(c.p50Ms), ms(c.p99Ms)]],
    ),
  );
  out.push(`Load average before: ${loadText(r.capacity.loadAverage.before)}; after: ${loadText(r.capacity.loadAverage.after)}.`);

  out.push(`### At saturation: the quiet tenant beside a flood at ${s.floodFactor}× the capacity`);
  out.push(
    table(
      ['Phase', 'Requests', 'Per second', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'Max (ms)', 'Errors (non-2xx + socket)'],
      [quietRow('Quiet tenant alone', f.quietAlone), quietRow(`With the noisy tenant at ${n0(f.ratePerS)}/s`, f.quietWithFlood)],
    ),
  );
  const noisy = f.noisy;
  const refused = noisy.byStatus['503'] ?? 0;
  out.push(
    table(
      ['Noisy tenant', 'Sent', 'Sent per second', 'Answered 200', '200 per second', 'Answered 503', 'Other answers', 'Socket errors', 'Timeouts', 'p50 (ms)', 'p99 (ms)'],
      [[
        `${n0(f.ratePerS)}/s asked, ${s.floodConnections} connections`,
        n0(noisy.sent),
        n0(noisy.sent / noisy.seconds),
        n0(served(noisy)),
        n0(servedPerS(noisy)),
        n0(refused),
        otherAnswers(noisy, '503'),
        n0(noisy.errors - noisy.timeouts),
        n0(noisy.timeouts),
        ms(noisy.p50Ms),
        ms(noisy.p99Ms),
      ]],
    ),
  );
  out.push(`Load average before: ${loadText(f.loadAverage.before)}; after: ${loadText(f.loadAverage.after)}.`);

  const sh = shares(r);
  out.push(`### At saturation: ${r.equal.tenants.length} equal tenants flooding at once`);
  out.push(
    table(
      ['Tenant', 'Sent', 'Answered 200', '200 per second', 'Share of the 200s', 'From an equal share', 'Answered 503', 'Socket errors + timeouts', 'p50 (ms)', 'p99 (ms)'],
      [
        ...sh.rows.map((t) => [
          t.slug,
          n0(t.load.sent),
          n0(served(t.load)),
          n0(servedPerS(t.load)),
          pct(t.share),
          `**${signedPct(t.deviation)}**`,
          n0(t.load.byStatus['503'] ?? 0),
          n0(t.load.errors),
          ms(t.load.p50Ms),
          ms(t.load.p99Ms),
        ]),
        ['All', n0(sh.rows.reduce((a, t) => a + t.load.sent, 0)), n0(sh.total), n0(sh.totalPerS), '100 %', `max ±${pct(sh.maxDeviation)}`, n0(sh.rows.reduce((a, t) => a + (t.load.byStatus['503'] ?? 0), 0)), n0(sh.rows.reduce((a, t) => a + t.load.errors, 0)), '', ''],
      ],
    ),
  );
  out.push(`Load average before: ${loadText(r.equal.loadAverage.before)}; after: ${loadText(r.equal.loadAverage.after)}.`);

  const quietRatio = f.quietWithFlood.p99Ms / f.quietAlone.p99Ms;
  const quietFailed = quietErrors(f.quietWithFlood);
  out.push(
    '### At saturation: reading it',
    [
      `- **Capacity.** The server answers one tenant that asks for more at most **${n0(capacityPerS)} requests/s** (${s.capacityConnections} connections in a closed loop, p99 ${ms(c.p99Ms)} ms), with that tenant held to ${perTenant} of the ${s.poolMax} connections.`,
      `- **Quiet tenant.** Its p99 beside a flood at ${s.floodFactor}× the capacity is **${fmt(quietRatio, 1)}×** its p99 alone (${ms(f.quietWithFlood.p99Ms)} ms against ${ms(f.quietAlone.p99Ms)} ms): the aim of ≤ ${QUIET_P99_AIM}× is ${met(quietRatio <= QUIET_P99_AIM)}. ${quietFailed === 0 ? 'None of its requests failed.' : `**${n0(quietFailed)} of its requests failed** (non-2xx or socket errors).`}`,
      `- **The flood.** Of the noisy tenant's ${n0(noisy.sent)} requests (${n0(noisy.sent / noisy.seconds)}/s of the ${n0(f.ratePerS)}/s it asked for), ${n0(served(noisy))} were answered 200 (${n0(servedPerS(noisy))}/s, ${fmt(servedPerS(noisy) / capacityPerS, 2)}× the capacity), ${n0(refused)} were refused 503, and ${n0(noisy.errors)} got no answer (${n0(noisy.timeouts)} of them timeouts).`,
      `- **Equal tenants.** Flooding together at ${r.equal.tenants.length}× the capacity, each got within **±${pct(sh.maxDeviation)}** of an equal share: the aim of ±${pct(SHARE_AIM)} is ${met(sh.maxDeviation <= SHARE_AIM)}. Together they were answered ${n0(sh.totalPerS)} requests/s with 200, ${fmt(sh.totalPerS / capacityPerS, 2)}× what one tenant alone is answered.`,
    ].join('\n'),
  );
  return out;
}

/** Answers by status other than 200 (and the statuses given, which have columns of their own). */
function otherAnswers(t: TrafficFigures, ...shownApart: string[]): string {
  const skip = new Set(['200', ...shownApart]);
  return statusList({ ...t, byStatus: Object.fromEntries(Object.entries(t.byStatus).filter(([k]) => !skip.has(k))) }) || '0';
}
