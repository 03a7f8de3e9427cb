import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startServer } from '../support/server-process.js';

const root = path.resolve(import.meta.dirname, '../..');

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
    const env = {
      DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), PORT: String(port), HOST: '127.0.0.1',
      // Parallel sign-ins of one account count as failures until each is verified; allow this test's burst.
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '100',
      // The drain is what is tested, not its limit: on a loaded machine 32 argon2 sign-ins can outlast the default
      // 10 s grace, after which the process exits 1 on purpose.
      SHUTDOWN_GRACE_MS: '300000',
    };
    const first = await startServer(env);
    const login = /Demo login:\s+(\S+) \/ (\S+)/.exec(first.output());
    expect(login, first.output()).not.toBeNull();
    expect(first.output()).toContain(`http://demo.localhost:${port}`);
    const [, email, password] = login!;
    // The printed platform admin token also opens the printed metrics address.
    const adminToken = /Platform admin token[^:]*: (\S+)/.exec(first.output())?.[1];
    expect(first.output()).toContain(`Metrics:      http://localhost:${port}/metrics`);

    // fetch() may not set Host, so plain http.request plays the browser at demo.localhost. Each request gets its
    // own connection, and `sent` resolves once the whole request has been handed to the server.
    const signIn = () => {
      let markSent!: () => void;
      const sent = new Promise<void>((resolve) => (markSent = resolve));
      const done = new Promise<{ status: number; text: string; at: number }>((resolve, reject) => {
        const body = JSON.stringify({ email, password });
        const req = http.request(
          { host: '127.0.0.1', port, path: '/api/auth/login', method: 'POST', agent: false,
            headers: { host: `demo.localhost:${port}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text, at: Date.now() }));
          },
        );
        req.on('finish', markSent);
        req.on('error', reject);
        req.end(body);
      });
      return { sent, done };
    };
    const firstLogin = await signIn().done;
    expect(firstLogin.status, firstLogin.text).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^studiohive_http_requests_total\{[^}]*route="\/api\/auth\/login"[^}]*\} 1$/m);
    // The demo studio has something to look at: plans of each kind, and members on them.
    const get = (url: string) =>
      new Promise<any>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: url, agent: false, headers: { host: `demo.localhost:${port}`, authorization: `Bearer ${JSON.parse(firstLogin.text).token}` } }, (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve(JSON.parse(text)));
          })
          .on('error', reject);
      });
    expect((await get('/api/plans')).items.map((p: { kind: string }) => p.kind).sort()).toEqual(['monthly', 'monthly', 'option', 'pack']);
    expect((await get('/api/members')).items.map((m: { status: string }) => m.status)).toEqual(['active', 'active', 'provisional']);

    // Sign-ins (argon2id makes each take a while) are in flight when SIGTERM arrives: all still complete,
    // some of them after the signal, and then the process exits cleanly.
    // The signal waits until the server has read every request off its socket (an unread one counts as idle and
    // is closed): each sign-in records its attempt before checking the password, so the attempts are counted.
    const inFlight = Array.from({ length: 32 }, signIn);
    await Promise.all(inFlight.map((r) => r.sent));
    const { postgresPassword } = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8'));
    const db = new pg.Client({ host: '127.0.0.1', port: Number(env.EMBEDDED_PG_PORT), user: 'postgres', password: postgresPassword, database: 'studiohive' });
    await db.connect();
    try {
      const readAll = Date.now() + 120_000;
      while ((await db.query('select count(*)::int as n from app.login_attempts')).rows[0].n < 33 && Date.now() < readAll) {
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await db.end();
    }
    const killedAt = Date.now();
    first.child.kill('SIGTERM');
    const results = await Promise.all(inFlight.map((r) => r.done));
    expect(results.map((r) => r.status)).toEqual(Array(32).fill(200));
    expect(results.filter((r) => r.at > killedAt).length).toBeGreaterThan(0);
    expect(await first.exited, first.output()).toBe(0);

    // The data folder keeps the tenant and its password across restarts.
    const second = await startServer(env);
    try {
      expect(second.output()).toContain(`Demo login:   ${email} / ${password}`);
      expect((await signIn().done).status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited, second.output()).toBe(0);
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
