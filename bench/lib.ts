/**
 * Helpers shared by the benchmarks: process bookkeeping and cleanup, memory readings from /proc,
 * percentiles, small concurrency and formatting utilities. Bench-only code; nothing here is used by the app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORK_DIR = path.join(REPO_ROOT, 'bench', '.work');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const started = performance.now();
export function log(message: string): void {
  const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[bench ${t}s] ${message}`);
}

/* ------------------------------------------------------------------------------------------------------------
 * Cleanup: every child process or server the bench starts registers how to stop it. runCleanups() runs them
 * newest first; an 'exit' hook SIGKILLs whatever child is still known if the process dies without cleanup.
 * ---------------------------------------------------------------------------------------------------------- */

type CleanupFn = () => Promise<void>;
const cleanups: Array<{ name: string; fn: CleanupFn }> = [];
const livePids = new Set<number>();

export function onCleanup(name: string, fn: CleanupFn): () => void {
  const entry = { name, fn };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const entry = cleanups.pop()!;
    try {
      await entry.fn();
    } catch (error) {
      console.error(`[bench] cleanup "${entry.name}" failed:`, error);
    }
  }
}

process.once('exit', () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export interface ManagedChild {
  child: ChildProcess;
  pid: number;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  tail(): string;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a child that the bench owns: registered for cleanup, output kept in a small ring buffer. */
export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; /** 'pipe': the caller writes to child.stdin (a control channel). */ stdin?: 'pipe' | 'ignore' },
): ManagedChild {
  const child = spawn(command, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`Could not start ${name} (${command})`);
  const pid = child.pid;
  livePids.add(pid);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // BENCH_SERVER_LOG=/some/file: every line the processes write goes there too (with LOG_LEVEL=info in
  // BENCH_SERVER_ENV, a server's access log: each request's own time, to tell the server's wait from the client's).
  const logFile = process.env.BENCH_SERVER_LOG;
  if (logFile) {
    child.stdout?.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
    child.stderr?.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      livePids.delete(pid);
      resolve(code);
    });
  });
  let removeCleanup: () => void = () => undefined;
  const stop = async (graceMs = 8_000) => {
    removeCleanup();
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  removeCleanup = onCleanup(name, () => stop());
  return { child, pid, tail: () => lines.join('\n'), exited, stop };
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function assertPortsFree(ports: number[]): Promise<void> {
  const busy: number[] = [];
  for (const port of ports) if (!(await portIsFree(port))) busy.push(port);
  if (busy.length > 0) throw new Error(`Ports already in use: ${busy.join(', ')}; stop whatever listens there and retry`);
}

/* ------------------------------------------------------------------------------------------------------------
 * Memory from /proc. RSS (VmRSS) is what the brief asks for; PSS (smaps_rollup) splits pages shared between
 * processes (PostgreSQL's shared buffers, the node binary's text) among them, so a sum of PSS does not count
 * a shared page more than once. Values are in KiB.
 * ---------------------------------------------------------------------------------------------------------- */

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // the process went away between listing and reading
  }
}

/** pid -> parent pid, for every process visible now. */
export function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(entry), Number(fields[1]));
  }
  return table;
}

/** The root and all its descendants that are alive now. */
export function processTree(root: number, table: Map<number, number> = processTable()): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of table) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  if (!table.has(root)) return [];
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function kbField(text: string | null, field: string): number {
  if (!text) return 0;
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

export const rssKb = (pid: number) => kbField(readText(`/proc/${pid}/status`), 'VmRSS');
export const pssKb = (pid: number) => kbField(readText(`/proc/${pid}/smaps_rollup`), 'Pss');

export interface MemoryReading {
  rssKb: number;
  pssKb: number;
  processes: number;
}

/** RSS (and optionally PSS) summed over the process trees of the given roots. */
export function treesMemory(roots: number[], withPss: boolean, table: Map<number, number> = processTable()): MemoryReading {
  let rss = 0;
  let pss = 0;
  let processes = 0;
  for (const root of roots) {
    for (const pid of processTree(root, table)) {
      const r = rssKb(pid);
      if (r === 0) continue; // gone, or a kernel thread
      rss += r;
      if (withPss) pss += pssKb(pid);
      processes += 1;
    }
  }
  return { rssKb: rss, pssKb: pss, processes };
}

export interface MemoryGroups {
  /** The app server processes (each a tree: node and anything it spawned). */
  app: number[];
  /** The postmaster of each PostgreSQL cluster involved (its tree is the cluster). */
  pg: number[];
}

export interface SampledMemory {
  /** Peak of the summed RSS during the sampling window (sampled every intervalMs). */
  appPeakRssKb: number;
  pgPeakRssKb: number;
  /** One reading with PSS, taken when sampling stopped (still under load). */
  appEndPssKb: number;
  pgEndPssKb: number;
  appEndRssKb: number;
  pgEndRssKb: number;
  pgProcesses: number;
  samples: number;
}

/** Samples RSS every intervalMs until stop(); stop() also takes one reading with PSS. */
export function startMemorySampler(groups: () => MemoryGroups, intervalMs = 500) {
  let appPeak = 0;
  let pgPeak = 0;
  let samples = 0;
  const sample = () => {
    const table = processTable();
    const g = groups();
    appPeak = Math.max(appPeak, treesMemory(g.app, false, table).rssKb);
    pgPeak = Math.max(pgPeak, treesMemory(g.pg, false, table).rssKb);
    samples += 1;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop(): SampledMemory {
      clearInterval(timer);
      sample();
      const table = processTable();
      const g = groups();
      const app = treesMemory(g.app, true, table);
      const pg = treesMemory(g.pg, true, table);
      return {
        appPeakRssKb: appPeak,
        pgPeakRssKb: pgPeak,
        appEndPssKb: app.pssKb,
        pgEndPssKb: pg.pssKb,
        appEndRssKb: app.rssKb,
        pgEndRssKb: pg.rssKb,
        pgProcesses: pg.processes,
        samples,
      };
    },
  };
}

/* ------------------------------------------------------------------------------------------------------------
 * Statistics and small utilities
 * ---------------------------------------------------------------------------------------------------------- */

/** Nearest-rank percentile of an ascending-sorted array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * Runs fn over items with at most `concurrency` in flight; results keep the input order. After a failure no
 * new item starts, and the call rejects only once the items in flight have settled, so that whatever they
 * started is registered for cleanup before the caller cleans up.
 */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed) {
      const i = next++;
      if (i >= items.length) return;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}

export const randomInt = (n: number) => Math.floor(Math.random() * n);

export const mb = (kb: number) => kb / 1024;

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(a: number, b: number, digits = 2): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${fmt(a / b, digits)}×`;
}

/** A markdown table from a header row and body rows. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A report section the run did not measure, or skipped (and why). */
export function unmeasuredSection(heading: string, r: { skipped: string } | undefined): string {
  return `${heading}\n\n${r ? `Skipped: ${r.skipped}` : 'Not measured in this run.'}`;
}


/** What every section records about its own run: the load average at its start and end, when, and how long. */
export function sectionRun(started: number, loadStart: number[]) {
  return { loadAverage: { start: loadStart, end: os.loadavg() }, date: new Date().toISOString(), seconds: (performance.now() - started) / 1000 };
}
