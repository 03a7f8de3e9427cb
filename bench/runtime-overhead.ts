/**
 * How much of a server's memory is tsx: the same server run as TypeScript through tsx (as `npm start` does and
 * as every other measurement here runs it) and as JavaScript compiled by tsc, one after the other against the
 * pooled database, each read idle and after a short load. Per-process overhead weighs once in the pooled design
 * and once per customer in the incumbent one.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { startAppServer, type BenchCluster } from './cluster.js';
import type { DensitySettings, TenantCredential } from './density.js';
import { REPO_ROOT, WORK_DIR, log, randomInt, sleep, treesMemory, type MemoryReading } from './lib.js';
import { runLoad, type LoadTarget } from './load.js';

export interface RuntimeVariant {
  name: string;
  command: string;
  idle: MemoryReading;
  afterLoad: MemoryReading;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export type RuntimeOverheadOutcome = { skipped: string } | { loadSeconds: number; variants: RuntimeVariant[] };

const BUILD_DIR = path.join(WORK_DIR, 'build');

/**
 * Compiles src/ with the project's tsconfig.build.json into bench/.work/build/dist. The build resolves
 * migrations/ and web/ relative to its own location, so those are linked next to it.
 */
async function build(): Promise<string | null> {
  await mkdir(BUILD_DIR, { recursive: true });
  for (const dir of ['migrations', 'web']) {
    if (existsSync(path.join(REPO_ROOT, dir))) await symlink(path.join(REPO_ROOT, dir), path.join(BUILD_DIR, dir));
  }
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(BUILD_DIR, 'dist')], { cwd: REPO_ROOT });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.once('exit', (code) => resolve({ code, text }));
  });
  const main = path.join(BUILD_DIR, 'dist', 'main.js');
  if (!existsSync(main)) return null;
  if (output.code !== 0) log(`tsc reported errors but emitted a build (src/ is being edited?):\n${output.text.slice(0, 1000)}`);
  return main;
}

/** The same server through tsx and compiled by tsc, one after the other; the build is removed afterwards. */
export async function measureRuntimeOverhead(
  cluster: BenchCluster,
  creds: TenantCredential[],
  port: number,
  s: DensitySettings,
  loadMs: number,
): Promise<RuntimeOverheadOutcome> {
  try {
    const t0 = performance.now();
    const main = await build();
    if (!main) return { skipped: 'tsc emitted no build of src/main.ts' };
    log(`compiled src/ with tsc in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const settings = {
      databaseUrl: cluster.adminUrl,
      appPassword: s.appPassword,
      platformPassword: s.platformPassword,
      adminToken: s.adminToken,
      baseDomain: s.baseDomain,
    };
    const pick = (): LoadTarget => {
      const c = creds[randomInt(creds.length)]!;
      return { port, host: `${c.slug}.${s.baseDomain}`, token: c.token };
    };
    const variants: RuntimeVariant[] = [];
    for (const v of [
      { name: 'tsx', command: 'node --import tsx src/main.ts', entry: undefined },
      { name: 'compiled (tsc)', command: 'node bench/.work/build/dist/main.js', entry: [main] },
    ]) {
      const server = await startAppServer(`runtime-${v.name}`, port, settings, v.entry);
      try {
        await sleep(2_000);
        const idle = treesMemory([server.pid], true);
        const load = await runLoad({ connections: s.connections, durationMs: loadMs, path: s.requestPath, pick });
        const afterLoad = treesMemory([server.pid], true);
        variants.push({ name: v.name, command: v.command, idle, afterLoad, rps: load.rps, p50Ms: load.p50Ms, p99Ms: load.p99Ms });
        log(`${v.name}: idle RSS ${(idle.rssKb / 1024).toFixed(0)} MiB, after ${loadMs / 1000} s of load ${(afterLoad.rssKb / 1024).toFixed(0)} MiB, ${load.rps.toFixed(0)} req/s`);
      } finally {
        await server.stop();
      }
    }
    return { loadSeconds: loadMs / 1000, variants };
  } finally {
    await rm(BUILD_DIR, { recursive: true, force: true });
  }
}
