import { spawn } from 'node:child_process';
import path from 'node:path';
import { TEST_ENV } from './env.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Runs the studiohive CLI as its own process against the test database, and kills it with SIGKILL (no cleanup,
 * no graceful close) as soon as `until` holds: the way to prove a job survives a crash part-way.
 */
export async function killCliWhen(databaseEnv: Record<string, string>, args: string[], until: () => Promise<boolean>, timeoutMs = 180_000) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...TEST_ENV, ...databaseEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!(await until()) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await exited;
  return output;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The studiohive CLI as its own process against the test databases: its exit code and both streams. */
export function runCli(databaseEnv: Record<string, string>, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: root,
      env: { ...process.env, ...TEST_ENV, ...databaseEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
