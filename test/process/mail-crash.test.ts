import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { withCredentials } from '../../src/platform/db/databases.js';
import { createLogger } from '../../src/platform/runtime.js';
import { openAppRuntime } from '../../src/app/composition.js';
import { TEST_ENV } from '../support/env.js';
import { freePort, startServer } from '../support/server-process.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { dropTestDatabase } from '../support/drop-database.js';

const MAILS = 400;

/** A control-plane database of its own: the server's worker sweeps every studio it holds, and none of the other tests'. */
const adminUrl = inject('adminUrl');
const database = `studiohive_mail_${randomUUID().slice(0, 8)}`;
const url = withCredentials(adminUrl, { database });
let owner: pg.Client;
let inside: pg.Client;
let smtp: TestSmtpServer;
let tenantId: string;

beforeAll(async () => {
  owner = new pg.Client({ connectionString: adminUrl });
  await owner.connect();
  await owner.query(`create database ${database}`);
  const runtime = await openAppRuntime(loadConfig({ ...TEST_ENV, DATABASE_URL: url }), createLogger({ LOG_LEVEL: 'silent' }));
  try {
    await runtime.migrate();
    const created = await runtime.tenants.create({
      slug: 'mail-crash', displayName: 'Mail Crash Studio', tier: 'pool', plan: 'standard',
      owner: { email: 'owner@mail-crash.example.com', displayName: 'Owner', password: `pw-${randomUUID()}` },
    });
    tenantId = created.tenant.id;
  } finally {
    await runtime.close();
  }
  inside = new pg.Client({ connectionString: url });
  await inside.connect();
  // Queued in bulk (the point is the sending, not the queueing), as the owner under the studio's RLS.
  await inside.query('begin');
  await inside.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
  await inside.query(
    `insert into app.outbox (to_address, template, subject, body)
     select 'member' || n || '@example.com', 'lesson_cancelled', 'Cancelled ' || n, 'Your lesson ' || n || ' was cancelled.'
       from generate_series(1, $1) n`,
    [MAILS],
  );
  await inside.query('commit');
  // From here on this connection reads as the studio: the owner is under RLS too (FORCEd) unless a superuser.
  await inside.query(`select set_config('app.tenant_id', $1, false)`, [tenantId]);
  smtp = await startSmtpServer();
  smtp.delayMs = 15;
}, 120_000);
afterAll(async () => {
  await inside?.end();
  await smtp?.close();
  if (owner) await dropTestDatabase(owner, database);
  await owner?.end();
});

const serverEnv = async () => ({
  ...TEST_ENV, DATABASE_URL: url, MIGRATE_ON_START: 'false', PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
  RUN_WORKER: 'true', SMTP_URL: smtp.url, MAIL_FROM: 'no-reply@mail.studiohive.test', MAIL_SEND_TIMEOUT_MS: '1000', MAIL_BATCH: '20',
});

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const rows = async () =>
  (await inside.query<{ id: string; status: string; attempts: number }>(`select id, status, attempts from app.outbox where tenant_id = $1`, [tenantId])).rows;

describe('mail delivery across a crash', () => {
  it('delivers every mail after a SIGKILL mid-batch; a mail cut off in flight goes again under its own Message-ID, and says so', async () => {
    const first = await startServer(await serverEnv());
    await until(() => smtp.received.length >= 100, 60_000, 'the first 100 mails');
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = smtp.received.length;
    expect(atKill).toBeLessThan(MAILS);

    const second = await startServer(await serverEnv());
    try {
      await until(async () => (await rows()).every((r) => r.status === 'sent'), 120_000, 'every mail to be sent');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }

    const outbox = await rows();
    const idOf = (messageId: string | undefined) => messageId?.match(/^<([0-9a-f-]{36})\.[0-9a-f-]{36}@mail\.studiohive\.test>$/)?.[1];
    const received = smtp.received.map((m) => idOf(m.messageId));
    // Every mail reached the server, and nothing else did.
    expect(new Set(received)).toEqual(new Set(outbox.map((r) => r.id)));
    // A mail received twice is one the crash cut off between the server's acceptance and the outbox's record: it
    // went again with the same Message-ID, for the receiving side to drop, and its attempts record both sends.
    const twice = received.filter((id, i) => received.indexOf(id) !== i);
    expect(twice.length).toBeLessThanOrEqual(20);
    const attempts = new Map(outbox.map((r) => [r.id, r.attempts]));
    for (const id of twice) expect(attempts.get(id!)).toBeGreaterThanOrEqual(2);
    expect(smtp.received.length).toBe(MAILS + twice.length);
  }, 240_000);
});
