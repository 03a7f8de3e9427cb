/**
 * A small closed-loop HTTP load generator: `connections` virtual clients, each sending its next request as
 * soon as the previous one is answered, for a fixed duration. Every request picks its own target (server
 * port, Host header, bearer token, and optionally its own path, method, JSON body and a label to group its
 * latencies by), which autocannon cannot do across several servers; using the same generator for every
 * measurement keeps the comparisons fair. Keep-alive connections, one agent per server.
 */
import http from 'node:http';
import { percentile, sortedCopy } from './lib.js';

export interface LoadTarget {
  port: number;
  host: string;
  token: string;
  /** Overrides LoadOptions.path for this request. */
  path?: string;
  method?: 'GET' | 'POST' | 'PATCH';
  /** Sent as JSON (POST, PATCH). */
  body?: unknown;
  /** A name for the kind of request, passed back to LoadOptions.onResponse. */
  label?: string;
  /** Extra request headers (an Idempotency-Key, say); a function is called for every request sent. */
  headers?: Record<string, string> | (() => Record<string, string>);
}

export interface LoadOptions {
  connections: number;
  durationMs: number;
  path: string;
  pick: () => LoadTarget;
  /** Called with every answered request's latency (ms) and status, to aggregate across runs or by label. */
  onResponse?: (ms: number, status: number, target: LoadTarget) => void;
}

export interface LoadResult {
  connections: number;
  durationS: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
  /** The first non-2xx answer and the first transport error, if any, for diagnosis. */
  firstFailure: string | null;
  firstError: string | null;
}

const REQUEST_TIMEOUT_MS = 15_000;

function send(agent: http.Agent, target: LoadTarget, path: string, wantBody: boolean): Promise<{ status: number; body: string }> {
  const payload = target.body === undefined ? undefined : JSON.stringify(target.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: target.port,
        path: target.path ?? path,
        method: target.method ?? 'GET',
        headers: {
          host: target.host,
          authorization: `Bearer ${target.token}`,
          accept: 'application/json',
          ...(typeof target.headers === 'function' ? target.headers() : target.headers),
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        if (wantBody || status < 200 || status >= 300) res.on('data', (c: Buffer) => chunks.push(c));
        else res.resume();
        res.once('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
        res.once('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end(payload);
  });
}

/** One request on a caller's agent, with its answer's body. */
export const request = (agent: http.Agent, target: LoadTarget): Promise<{ status: number; body: string }> => send(agent, target, target.path ?? '/', true);

/** One request, for checking a target works before a run. */
export async function probe(target: LoadTarget, path: string): Promise<{ status: number; body: string }> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    return await send(agent, target, path, true);
  } finally {
    agent.destroy();
  }
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const agents = new Map<number, http.Agent>();
  const agentFor = (port: number) => {
    let agent = agents.get(port);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
      agents.set(port, agent);
    }
    return agent;
  };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let firstFailure: string | null = null;
  let firstError: string | null = null;

  const start = performance.now();
  const end = start + opts.durationMs;
  const client = async () => {
    while (performance.now() < end) {
      const target = opts.pick();
      const t0 = performance.now();
      try {
        const { status, body } = await send(agentFor(target.port), target, opts.path, false);
        const elapsed = performance.now() - t0;
        latencies.push(elapsed);
        opts.onResponse?.(elapsed, status, target);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) ok += 1;
        else {
          non2xx += 1;
          firstFailure ??= `${status} from ${target.method ?? 'GET'} ${target.path ?? opts.path} at ${target.host} (port ${target.port}, after ${((t0 - start) / 1000).toFixed(1)} s): ${body.slice(0, 300)}`;
        }
      } catch (error) {
        errors += 1;
        statuses.error = (statuses.error ?? 0) + 1;
        firstError ??= `${(error as Error).message} (${target.host}, port ${target.port}, after ${((t0 - start) / 1000).toFixed(1)} s)`;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, client));
  const durationS = (performance.now() - start) / 1000;
  for (const agent of agents.values()) agent.destroy();

  const sorted = sortedCopy(latencies);
  const requests = ok + non2xx + errors;
  return {
    connections: opts.connections,
    durationS,
    requests,
    ok,
    non2xx,
    errors,
    rps: requests / durationS,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    statuses,
    firstFailure,
    firstError,
  };
}
