import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantTables } from '../db/catalog.js';
import { AppError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { writeTenantArchive } from './archive.js';
import { cleanUpMoveSource, moveTenant, type MovePlan, type MoveReport, type MoveStep } from './moves.js';
import { movesRepo } from './moves.repo.js';
import { tenantsRepo } from './tenants.repo.js';
import { TEST_ENV } from '../../../test/support/env.js';
import { populateTenant, type PopulatedTenant } from '../../../test/support/fixtures.js';
import { startTestPlatform, type TestPlatform } from '../../../test/support/platform.js';

let platform: TestPlatform;
let A: PopulatedTenant;
let B: PopulatedTenant;

/** The tenant's rows as the archive sees them, table by table (row count and SHA-256), read where the catalog says. */
async function fingerprint(runtime: Runtime, tenantId: string): Promise<Record<string, string>> {
  const tenant = (await tenantsRepo.byId(runtime.databases.platform, tenantId))!;
  const manifest = await writeTenantArchive(runtime, tenant, new Writable({ write: (_c, _e, done) => done() }), { locale: 'en', documents: false });
  return Object.fromEntries(manifest.tables.map((t) => [t.table, `${t.rows}:${t.sha256}`]));
}

/** The tenant's rows left in a placement's database, counted as the app role under RLS, in every table. */
async function rowsIn(runtime: Runtime, placementId: string, tenantId: string): Promise<number> {
  const db = runtime.databases.forPlacement(await runtime.tenants.placement(placementId));
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
    let n = 0;
    for (const { name } of await tenantTables(trx)) n += Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(name)}`.execute(trx)).rows[0]!.n);
    return n;
  });
}

const catalogOf = async (tenantId: string) => (await tenantsRepo.byId(platform.runtime.databases.platform, tenantId))!;

const addMember = (t: PopulatedTenant, key: string, name: string, p = platform) =>
  p.call(t, { method: 'POST', url: '/api/members', token: t.ownerToken, headers: { 'idempotency-key': key, 'accept-language': 'ja' }, payload: { familyName: '移行', givenName: name } });

/**
 * Members written as fast as the studio takes them, each with its own Idempotency-Key and retried on 503 (as the
 * web app and any client does), with a read between: the acknowledged ids are what must be there afterwards.
 */
function writeLoad(t: PopulatedTenant) {
  const acknowledged: string[] = [];
  const refused = { writes: 0, reads: 0 };
  let stop = false;
  const done = (async () => {
    for (let i = 0; !stop; i += 1) {
      const key = randomUUID();
      for (;;) {
        const res = await addMember(t, key, `負荷${i}`);
        if (res.statusCode === 201) {
          acknowledged.push(res.json().id);
          break;
        }
        expect(res.statusCode, res.body).toBe(503);
        expect(res.headers['retry-after']).toBeDefined();
        refused.writes += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
      const read = await platform.call(t, { method: 'GET', url: `/api/members/${acknowledged.at(-1)}`, token: t.ownerToken });
      if (read.statusCode !== 200) {
        // Only the one answer after the switch that sends an instance on from the old database.
        expect(read.json().code).toBe('unavailable');
        refused.reads += 1;
      }
    }
  })();
  return { acknowledged, refused, stop: async () => { stop = true; await done; } };
}

beforeAll(async () => {
  platform = await startTestPlatform();
  A = await populateTenant(platform, await platform.createTenant());
  B = await populateTenant(platform, await platform.createTenant());
});

afterAll(async () => {
  await platform?.close();
});

describe('moving a studio while it is served (issue 19)', () => {
  it('moves pool → silo → a silo on another cluster → pool under a write load: every acknowledged write is there once, the neighbour untouched, the old rows purged', async () => {
    const runtime = platform.runtime;
    const before = { A: await fingerprint(runtime, A.id), B: await fingerprint(runtime, B.id) };
    const membersBefore = (await platform.call(A, { method: 'GET', url: '/api/members?limit=1', token: A.ownerToken })).json().total as number | undefined;
    const load = writeLoad(A);
    const reports: MoveReport[] = [];
    // The first and last by logical replication where the servers allow it (the embedded ones do), the middle one
    // by the read-only copy on every server.
    const route: Array<[Parameters<typeof moveTenant>[2], 'copy' | undefined]> = [[{ tier: 'silo' }, undefined], [{ tier: 'silo', cluster: 'second' }, 'copy'], [{ placementId: 'pool-main' }, undefined]];
    for (const [target, method] of route) {
      // Let the load write at each place before the next move.
      await new Promise((r) => setTimeout(r, 300));
      reports.push((await moveTenant(runtime, A.slug, target, { method })) as MoveReport);
    }
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();

    expect(reports.map((r) => `${r.plan.from.placementId} → ${r.plan.to.placementId}`)).toEqual([
      `pool-main → silo-${A.slug}`, `silo-${A.slug} → silo-${A.slug}-second`, `silo-${A.slug}-second → pool-main`,
    ]);
    expect(reports[1]!.plan.method).toBe('copy');
    for (const r of reports) {
      expect(r.state).toBe('done');
      expect(r.rows).toBeGreaterThan(100);
      expect(r.writePauseMs).toBeGreaterThan(0);
    }
    expect(await catalogOf(A.id)).toMatchObject({ placement_id: 'pool-main', tier: 'pool' });
    // The load went on through the moves, its writes refused (503) only while a copy ran.
    expect(load.acknowledged.length).toBeGreaterThan(5);
    expect(load.refused.writes).toBeGreaterThan(0);

    // Every acknowledged member is there exactly once, and nothing else was added: retries with the same key
    // (whose stored answers moved along) added no one twice.
    const db = runtime.databases.forPlacement(await runtime.tenants.placement('pool-main'));
    const names = await db.transaction().execute(async (trx) => {
      await sql`select set_config('app.tenant_id', ${A.id}, true)`.execute(trx);
      return (await sql<{ id: string }>`select id from app.members where family_name = '移行'`.execute(trx)).rows.map((r) => r.id);
    });
    expect(names.sort()).toEqual([...load.acknowledged].sort());
    if (membersBefore !== undefined) expect(membersBefore).toBeGreaterThan(0);

    // Apart from what the load wrote, A is as it was; B, in the same cell throughout, is untouched.
    const after = { A: await fingerprint(runtime, A.id), B: await fingerprint(runtime, B.id) };
    expect(after.B).toEqual(before.B);
    for (const table of ['app.plans', 'app.contracts', 'app.lessons', 'app.reservations', 'app.invoices', 'app.credit_ledger', 'app.staff']) {
      expect(after.A[table], table).toBe(before.A[table]);
    }

    // The old rows wait for the cleanup job (after the purge delay), which deletes them from both silos. The job
    // of the first move finds the tenant gone from pool-main… and back there: it leaves those rows alone.
    expect(await rowsIn(runtime, `silo-${A.slug}`, A.id)).toBeGreaterThan(0);
    for (const r of reports) expect(await cleanUpMoveSource(runtime, r.moveId)).toMatchObject({ purged: true });
    expect(await rowsIn(runtime, `silo-${A.slug}`, A.id)).toBe(0);
    expect(await rowsIn(runtime, `silo-${A.slug}-second`, A.id)).toBe(0);
    expect(await rowsIn(runtime, 'pool-main', A.id)).toBeGreaterThan(100);
    expect(await fingerprint(runtime, A.id)).toEqual(after.A);
    const placements = new Map((await runtime.tenants.placements()).map((p) => [p.id, p.tenant_count]));
    expect([placements.get(`silo-${A.slug}`), placements.get(`silo-${A.slug}-second`)]).toEqual([0, 0]);
    // A cleanup's job runs once: again, it does nothing.
    expect(await cleanUpMoveSource(runtime, reports[0]!.moveId)).toEqual({ purged: false, rows: 0 });
  });

  it('during the copy the studio reads but refuses writes with 503 and Retry-After, in its language; another instance still placing it at the old database is sent on', async () => {
    const runtime = platform.runtime;
    const other = await startTestPlatform();
    try {
      // The other instance has the studio cached where it is now.
      expect((await other.call(A, { method: 'GET', url: '/api/members?limit=1', token: A.ownerToken })).statusCode).toBe(200);
      const seen: Record<string, { status: number; retryAfter?: string; detail?: string; code?: string }> = {};
      await moveTenant(runtime, A.slug, { tier: 'silo' }, {
        onStep: async (step: MoveStep) => {
          if (step !== 'locked') return;
          const read = await platform.call(A, { method: 'GET', url: '/api/members?limit=5', token: A.ownerToken });
          seen.read = { status: read.statusCode };
          const write = await addMember(A, randomUUID(), 'during');
          seen.write = { status: write.statusCode, retryAfter: write.headers['retry-after'] as string, detail: write.json().detail, code: write.json().code };
        },
      });
      expect(seen.read).toEqual({ status: 200 });
      expect(seen.write).toEqual({ status: 503, retryAfter: '5', code: 'unavailable', detail: 'このスタジオは別のサーバーへ移行中です。閲覧はできますが、変更は数秒お待ちください。しばらくしてからもう一度お試しください。' });

      // The other instance still thinks pool-main: the old database refuses the studio, the instance looks again.
      const stale = await other.call(A, { method: 'GET', url: '/api/members?limit=1', token: A.ownerToken, headers: { 'accept-language': 'en' } });
      expect(stale.statusCode).toBe(503);
      expect(stale.headers['retry-after']).toBe('1');
      expect(stale.json().detail).toBe('This studio has just moved to another server; please try again');
      expect((await other.call(A, { method: 'GET', url: '/api/members?limit=1', token: A.ownerToken })).statusCode).toBe(200);
      expect((await addMember(A, randomUUID(), 'after', other)).statusCode).toBe(201);
    } finally {
      await other.close();
    }
  });

  it('is on the platform admin API: a dry run plans, a move is a job whose progress GET shows, and a refused move says why', async () => {
    const runtime = platform.runtime;
    const post = (body: object, tenant = B.slug) => platform.platform({ method: 'POST', url: `/platform/tenants/${tenant}/moves`, payload: body, headers: { 'accept-language': 'en' } });
    const plan = await post({ to: 'silo', dryRun: true });
    expect(plan.statusCode, plan.body).toBe(200);
    expect(plan.json()).toMatchObject({ tenant: { slug: B.slug }, from: { placementId: 'pool-main' }, to: { placementId: `silo-${B.slug}`, tier: 'silo', exists: false } });
    expect(['replication', 'copy']).toContain(plan.json().method);
    expect((await post({ to: 'silo', dryRun: true, method: 'copy' })).json()).toMatchObject({ method: 'copy', why: 'asked for' });
    expect(plan.json().rows).toBeGreaterThan(100);
    expect((await post({ to: 'pool-main' })).json()).toMatchObject({ status: 409, detail: `${B.slug} is already in pool-main` });
    expect((await post({ to: 'no-such-cell' })).statusCode).toBe(422);
    expect((await post({ to: 'Not A Placement!' })).statusCode).toBe(400);

    const started = await post({ to: 'silo', method: 'copy' });
    expect(started.statusCode, started.body).toBe(202);
    const admin = await platform.admin();
    try {
      const job = await admin.query(`select task_identifier from graphile_worker.jobs where key = $1`, [`tenant_move:${B.id}`]);
      expect(job.rows).toEqual([{ task_identifier: 'tenant_move' }]);
      // The worker's task, run here with the job's payload (the tests' platform runs no worker).
      const { taskList } = await import('../jobs/tasks.js');
      await taskList(runtime).tenant_move!({ tenantId: B.id, target: { tier: 'silo' }, method: 'copy' }, { logger: { info: () => undefined } } as never);
    } finally {
      await admin.end();
    }
    const moves = await platform.platform({ method: 'GET', url: `/platform/tenants/${B.slug}/moves` });
    expect(moves.json().items[0]).toMatchObject({ state: 'done', from: 'pool-main', to: `silo-${B.slug}`, method: 'copy', error: null });
    expect(moves.json().items[0].rows).toBeGreaterThan(100);
    expect((await platform.call(B, { method: 'GET', url: '/api/members?limit=1', token: B.ownerToken })).statusCode).toBe(200);
    expect((await platform.platform({ method: 'POST', url: `/platform/tenants/${B.slug}/moves/abandon`, headers: { 'accept-language': 'en' } })).json()).toMatchObject({ status: 409, detail: `${B.slug} has no unfinished move` });
  });

  it('survives a kill at every step: a rerun finishes the move, and the studio is never served from two places; a second mover is refused; an unswitched move can be abandoned', async () => {
    const runtime = platform.runtime;
    const cli = (args: string[], env: Record<string, string> = {}) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'tenants', ...args], {
        cwd: path.resolve(import.meta.dirname, '../../..'),
        env: { ...process.env, ...TEST_ENV, ...platform.databaseEnv, ...env },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const reached = (step: string) =>
        new Promise<void>((resolve, reject) => {
          const timer = setInterval(() => {
            if (out.includes(` ${step}\n`)) resolve(clearInterval(timer));
          }, 50);
          void exited.then(() => reject(new Error(`the mover exited before ${step}: ${out}`)));
        });
      return { child, exited, reached, out: () => out };
    };
    const status = async () => (await platform.call(A, { method: 'GET', url: '/api/members?limit=1', token: A.ownerToken })).statusCode;

    let where = (await catalogOf(A.id)).placement_id;
    // The steps of the method these servers allow: logical replication first makes its subscription and copy.
    const { method } = (await moveTenant(runtime, A.slug, where === 'pool-main' ? { tier: 'silo' } : { placementId: 'pool-main' }, { dryRun: true })) as MovePlan;
    const steps: MoveStep[] = method === 'replication' ? ['synced', 'locked', 'copied', 'fenced', 'switched'] : ['locked', 'copied', 'fenced', 'switched'];
    const before = method === 'replication' ? 'replicating' : 'copying';
    for (const step of steps) {
      const to = where === 'pool-main' ? 'silo' : 'pool-main';
      const held = cli(['move', A.slug, '--to', to], { STUDIOHIVE_MOVE_HOLD_AT: step });
      await held.reached(step);
      if (step === 'locked') {
        // A second mover of the same studio is refused while the first runs.
        const second = cli(['move', A.slug, '--to', to]);
        expect(await second.exited).not.toBe(0);
        expect(second.out()).toContain(`A move of ${A.slug} is already running`);
        await expect(moveTenant(runtime, A.slug, { placementId: 'pool-main' })).rejects.toBeInstanceOf(AppError);
      }
      held.child.kill('SIGKILL');
      await held.exited;
      const move = (await movesRepo.unfinished(platform.runtime.databases.platform, A.id))!;
      expect(move.state).toBe({ synced: before, locked: before, copied: before, fenced: 'fenced', switched: 'switched' }[step]);
      const served = (await catalogOf(A.id)).placement_id;
      // Killed before the fence: the old place serves it, and takes writes again. Fenced: nowhere, until the rerun.
      if (step === 'synced' || step === 'locked' || step === 'copied') {
        expect(served).toBe(where);
        expect((await addMember(A, randomUUID(), `killed-${step}`)).statusCode).toBe(201);
      }
      if (step === 'fenced') {
        expect(served).toBe(where);
        runtime.directory.forgetAll();
        expect(await status()).toBe(503);
      }
      if (step === 'switched') expect(served).not.toBe(where);
      const rowsBefore = await fingerprint(runtime, A.id);
      const rerun = cli(['move', A.slug, '--to', to]);
      expect(await rerun.exited, rerun.out()).toBe(0);
      expect(rerun.out()).toContain(`Moved ${A.slug} to`);
      runtime.directory.forgetAll();
      const now = await catalogOf(A.id);
      expect(now.placement_id).not.toBe(where);
      expect(await status()).toBe(200);
      expect(await fingerprint(runtime, A.id)).toEqual(rowsBefore);
      where = now.placement_id;
    }

    // Abandoned before the switch: the studio stays, writes go on, and the copy is cleared from the target.
    const to = where === 'pool-main' ? 'silo' : 'pool-main';
    const held = cli(['move', A.slug, '--to', to], { STUDIOHIVE_MOVE_HOLD_AT: 'fenced' });
    await held.reached('fenced');
    held.child.kill('SIGKILL');
    await held.exited;
    const abandon = cli(['move', A.slug, '--abandon']);
    expect(await abandon.exited, abandon.out()).toBe(0);
    runtime.directory.forgetAll();
    expect((await catalogOf(A.id)).placement_id).toBe(where);
    expect((await addMember(A, randomUUID(), 'abandoned')).statusCode).toBe(201);
    const [abandoned] = await movesRepo.ofTenant(runtime.databases.platform, A.id, 1);
    expect(abandoned).toMatchObject({ state: 'failed', error: 'abandoned by an operator' });
    const target = abandoned!.target_placement;
    expect(await rowsIn(runtime, target, A.id)).toBe(0);
    expect(await movesRepo.unfinished(runtime.databases.platform, A.id)).toBeUndefined();
  }, 600_000);
});
