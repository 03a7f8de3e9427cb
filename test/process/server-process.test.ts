import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `src/main.ts` the way `npm start` does, and waits for its banner. */
async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!out.includes('Studiohive is running') && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!out.includes('Studiohive is running')) throw new Error(`server did not start:\n${out}`);
  return { child, output: () => out, exited };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the server process', () => {
  it('starts on embedded PostgreSQL with a demo login that works, keeps its data, and drains on SIGTERM', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'studiohive-start-'));
    dirs.push(dataDir);
    await import('node:fs/promises').then((fs) => fs.chmod(dataDir, 0o777));
    const port = await freePort();
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), PORT: String(port), HOST: '127.0.0.1' };
    const first = await startServer(env);
    const login = /Demo login:\s+(\S+) \/ (\S+)/.exec(first.output());
    expect(login, first.output()).not.toBeNull();
    expect(first.output()).toContain(`http://demo.localhost:${port}`);
    const [, email, password] = login!;

    // fetch() may not set Host, so plain http.request plays the browser at demo.localhost.
    const signIn = () =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const body = JSON.stringify({ email, password });
        const req = http.request(
          { host: '127.0.0.1', port, path: '/api/auth/login', method: 'POST',
            headers: { host: `demo.localhost:${port}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const firstLogin = await signIn();
    expect(firstLogin.status, firstLogin.text).toBe(200);

    // Requests in flight when SIGTERM arrives still complete; then the process exits cleanly.
    const inFlight = Array.from({ length: 8 }, () => signIn().then((r) => r.status));
    await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGTERM');
    expect(await Promise.all(inFlight)).toEqual(Array(8).fill(200));
    expect(await first.exited).toBe(0);

    // The data folder keeps the tenant and its password across restarts.
    const second = await startServer(env);
    try {
      expect(second.output()).toContain(`Demo login:   ${email} / ${password}`);
      expect((await signIn()).status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });

  it('refuses to start on a bad setting and names it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: 'eighty', LOG_LEVEL: 'nonsense' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(78);
    expect(err).toContain('PORT');
    expect(err).toContain('LOG_LEVEL');
  });
});
