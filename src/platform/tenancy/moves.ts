import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { deleteOrder, tenantTables } from '../db/catalog.js';
import type { Db, Tx } from '../db/databases.js';
import type { Placement, Tenant } from '../db/types.js';
import { AppError, unlessDuplicate } from '../errors.js';
import { text } from '../i18n.js';
import type { Runtime } from '../runtime.js';
import { ndjsonOf, rowsAsExactText, StagedLoad, tableShapes, type TableShape } from './archive.js';
import { policyOf } from './archive-policy.js';
import { movesRepo, type MoveMethod, type MoveState, type TenantMove } from './moves.repo.js';
import { purgeRows } from './purge-rows.js';
import { tenantsRepo } from './tenants.repo.js';

/*
 * A tenant's move between placements (issue 19): pool → silo, silo → pool, cell → cell, across clusters, while
 * it is served. The move is a recorded state machine (platform.tenant_moves), so running the command again after
 * a crash at any step resumes it, and the tenant is never served from two places or from a half-copied one.
 *
 * Two ways to bring the rows over, chosen per move (the plan says which, and why):
 *   replication  PostgreSQL's logical replication: a publication of the tenant's rows at the source (a row filter
 *                on tenant_id), a subscription at the target. The first copy and the catch-up run while the tenant
 *                reads and writes as usual; its writes pause only for the cut-over. Needs wal_level=logical at the
 *                source, and roles that may make a replication slot there and a subscription at the target (on
 *                PostgreSQL 15, superusers: the embedded server's; a least-privilege owner cannot).
 *   copy         The fallback: the tenant is read-only while its rows are copied in one target transaction.
 *
 * The states:
 *   replicating  The subscription copies and streams the rows; redone from the start on resume.
 *   copying      (copy) The source's writes are paused and the rows copied; redone from the start on resume.
 *   Both end in the cut-over: the mover takes the tenant's move lock in the source database, so every tenant
 *   transaction there (app.enter_tenant, tenant migration 0034) is read only from then on, and the lock is
 *   granted once the writes under way have committed. The copy is verified table by table (row count and a
 *   checksum of the rows as exact text, on both sides) before anything is switched. A crash releases the lock
 *   (PostgreSQL ends a dead session's locks) and the source takes writes again.
 *   fenced       The source refuses the tenant (tenancy.departed): its rows there are frozen, the copy is whole.
 *   switched     One catalog transaction names the target, moves the placement counts, and records the state. An
 *                instance whose cache still names the source is refused there (SQLSTATE SHM01) and looks again.
 *                The subscription and publication are dropped.
 *   done         The source's rows are deleted by the tenant_move_cleanup job after the purge delay.
 *
 * Graphile-worker's jobs live in the control database and find the tenant through the catalog, so they follow the
 * move by themselves; idempotency keys, counters and every other table of the tenant move with its rows.
 */

export type MoveTarget = { placementId: string } | { tier: 'silo'; cluster?: string };
export type MoveStep = 'synced' | 'locked' | 'copied' | 'fenced' | 'switched';

export interface MovePlan {
  tenant: { id: string; slug: string };
  from: { placementId: string; tier: string; cluster: string };
  to: { placementId: string; tier: string; cluster: string; exists: boolean };
  method: MoveMethod;
  /** Why this method: what replication needs that is missing, for a copy. */
  why: string;
  /** The unfinished move a run resumes, if any. */
  resumes: { moveId: string; state: string } | null;
  tables: Array<{ table: string; rows: number }>;
  rows: number;
}

export interface MoveReport {
  plan: MovePlan;
  moveId: string;
  state: 'done';
  /** Rows copied and verified (null when a resumed move had copied them before). */
  rows: number | null;
  /** From the pause of the tenant's writes to the switch (null when the move was resumed past its copy). */
  writePauseMs: number | null;
  /** replication: from the subscription to its first copy done; copy: the copy itself, within the write pause. */
  copyMs: number | null;
  sourcePurgeAt: string;
}

export interface MoveOptions {
  dryRun?: boolean;
  /** Told the plan before anything starts: how the move will go, and that the studio is read-only meanwhile. */
  onPlan?: (plan: MovePlan) => void;
  onStep?: (step: MoveStep) => void | Promise<void>;
  /** A crash drill: stop at this step and wait to be killed (STUDIOHIVE_MOVE_HOLD_AT in the CLI). */
  holdAt?: MoveStep;
  /** copy: the fallback even where replication could run. */
  method?: MoveMethod;
}

/** How long the mover waits for the writes under way to finish before it gives up (and the tenant writes again). */
const LOCK_TIMEOUT = '30s';
/** How long the cut-over waits for the target to catch up and match the paused source before it gives up. */
const CATCH_UP_MS = 30_000;
/** How long the subscription's first copy may take (a big studio's is minutes). */
const SYNC_MS = 6 * 3_600_000;

function refuse(key: Parameters<typeof text>[0], values: Record<string, string | number> = {}): never {
  throw new AppError('conflict', text(key, values));
}

/**
 * Runs fn as the tenant's one mover, whatever instance runs it: under a session lock in the control database,
 * which a killed mover's session releases, so a rerun can take the move over.
 */
async function asMover<T>(runtime: Runtime, ref: string, fn: (tenant: Tenant) => Promise<T>): Promise<T> {
  const tenant = await loadTenant(runtime, ref);
  const guard = await session(runtime.adminUrl);
  try {
    const { rows } = await guard.query<{ ok: boolean }>(`select pg_try_advisory_lock(hashtextextended('studiohive.tenant-move/' || $1, 0)) as ok`, [tenant.id]);
    if (!rows[0]!.ok) refuse('platform.move.running', { slug: tenant.slug });
    return await fn(tenant);
  } finally {
    await guard.end().catch(() => undefined);
  }
}

export function moveTenant(runtime: Runtime, ref: string, target: MoveTarget, opts: MoveOptions = {}): Promise<MovePlan | MoveReport> {
  const control = runtime.databases.platform;
  return asMover(runtime, ref, async (tenant) => {
    const unfinished = await movesRepo.unfinished(control, tenant.id);
    const source = await runtime.tenants.placement(unfinished?.source_placement ?? tenant.placement_id);
    const planned = unfinished ? await runtime.tenants.placement(unfinished.target_placement) : await targetOf(runtime, tenant, source, target);
    if (unfinished && !sameTarget(planned, target)) refuse('platform.move.other_target', { slug: tenant.slug, target: planned.id });
    const choice = unfinished
      ? { method: unfinished.method as MoveMethod, why: 'resumed as it was started' }
      : await methodFor(runtime, source, planned, opts.method);
    const plan = await planOf(runtime, tenant, source, planned, unfinished, choice);
    opts.onPlan?.(plan);
    if (opts.dryRun) return plan;

    const to = 'database' in planned ? planned : await runtime.tenants.addPlacement({ tier: 'silo', cluster: planned.cluster, id: planned.id });
    let move = unfinished ?? (await unlessDuplicate(
      () => movesRepo.insert(control, { tenant_id: tenant.id, source_placement: source.id, target_placement: to.id, method: choice.method }),
      text('platform.move.running', { slug: tenant.slug }),
    ));
    const step = async (name: MoveStep) => {
      await opts.onStep?.(name);
      if (opts.holdAt === name) for (;;) await sleep(60_000);
    };

    let frozen: Frozen | null = null;
    try {
      if (move.state === 'replicating') frozen = await replicateAndFence(runtime, tenant, source, to, move, step);
      if (move.state === 'copying') frozen = await copyAndFence(runtime, tenant, source, to, move, step);
      if (frozen) move = (await movesRepo.byId(control, move.id))!;
      if (move.state === 'fenced') {
        move = await switchTo(runtime, tenant, source, to, move, frozen ? Math.round(performance.now() - frozen.pauseStarted) : null);
        runtime.directory.forgetAll();
        await step('switched');
      }
    } finally {
      await frozen?.release();
    }
    const sourcePurgeAt = new Date(runtime.clock.now().getTime() + runtime.tenants.purgeDelayMs);
    if (move.state === 'switched') {
      if (move.method === 'replication') await tearDownReplication(runtime, source, to, move.id);
      await runtime.jobs.add('tenant_move_cleanup', { moveId: move.id }, { runAt: sourcePurgeAt, jobKey: `tenant_move_cleanup:${move.id}` });
      move = (await movesRepo.advance(control, move.id, 'switched', 'done'))!;
    }
    return { plan, moveId: move.id, state: 'done', rows: frozen?.rows ?? null, writePauseMs: move.write_pause_ms, copyMs: frozen?.copyMs ?? null, sourcePurgeAt: sourcePurgeAt.toISOString() };
  });
}

/** The source as the cut-over left it: its writes paused (until release) and its rows copied and verified. */
interface Frozen {
  rows: number;
  pauseStarted: number;
  copyMs: number;
  release: () => Promise<void>;
}

/** Plans a move and, unless it is a dry run, hands it to the worker (tenant_move): the admin API's way. */
export async function startMove(runtime: Runtime, ref: string, body: { to: string; cluster?: string; method?: 'copy'; dryRun: boolean }) {
  const target: MoveTarget = body.to === 'silo' ? { tier: 'silo', cluster: body.cluster } : { placementId: body.to };
  // The dry run refuses here what the job would refuse (a move under way, the place it is already in).
  const plan = (await moveTenant(runtime, ref, target, { dryRun: true, method: body.method })) as MovePlan;
  if (body.dryRun) return plan;
  await runtime.jobs.add('tenant_move', { tenantId: plan.tenant.id, target, method: body.method }, { jobKey: `tenant_move:${plan.tenant.id}`, maxAttempts: 5 });
  return { plan, queued: true as const };
}

export async function listMoves(runtime: Runtime, ref: string): Promise<TenantMove[]> {
  const { id } = await runtime.tenants.get(ref);
  return movesRepo.ofTenant(runtime.databases.platform, id, 20);
}

export const toMoveDto = (m: TenantMove) => ({
  id: m.id,
  state: m.state as MoveState,
  from: m.source_placement,
  to: m.target_placement,
  method: m.method,
  tables: m.tables,
  rows: m.rows === null ? null : Number(m.rows),
  writePauseMs: m.write_pause_ms,
  error: m.error,
  startedAt: m.created_at.toISOString(),
  updatedAt: m.updated_at.toISOString(),
  finishedAt: m.finished_at?.toISOString() ?? null,
  sourcePurgedAt: m.source_purged_at?.toISOString() ?? null,
});

/**
 * Gives up a move that has not switched: the source serves the tenant again and the target's copy is cleared.
 * A switched move is finished instead (run it again), or undone by a move back.
 */
export function abandonMove(runtime: Runtime, ref: string): Promise<TenantMove> {
  const control = runtime.databases.platform;
  return asMover(runtime, ref, async (tenant) => {
    const move = await movesRepo.unfinished(control, tenant.id);
    if (!move) refuse('platform.move.none', { slug: tenant.slug });
    if (move.state === 'switched') refuse('platform.move.already_switched', { slug: tenant.slug, target: move.target_placement });
    const source = await runtime.tenants.placement(move.source_placement);
    const target = await runtime.tenants.placement(move.target_placement);
    if (move.method === 'replication') await tearDownReplication(runtime, source, target, move.id);
    await onDatabase(runtime.databases.adminUrl(source), (db) => db.query('delete from tenancy.departed where tenant_id = $1', [tenant.id]));
    await clearTenant(runtime.databases.forPlacement(target), tenant.id);
    return (await movesRepo.advance(control, move.id, move.state as MoveState, 'failed', { error: 'abandoned by an operator' }))!;
  });
}

/** Deletes a finished move's rows from its source, unless the tenant lives there again (it moved back). */
export async function cleanUpMoveSource(runtime: Runtime, moveId: string): Promise<{ purged: boolean; rows: number }> {
  const control = runtime.databases.platform;
  const move = await movesRepo.byId(control, moveId);
  if (!move || move.state !== 'done' || move.source_purged_at) return { purged: false, rows: 0 };
  // A move under way may be copying into that very database: the cleanup waits for it (the job is retried).
  if (await movesRepo.unfinished(control, move.tenant_id)) throw new Error(`tenant ${move.tenant_id} is moving; the cleanup of move ${move.id} waits`);
  const tenant = await tenantsRepo.byId(control, move.tenant_id);
  let rows = 0;
  if (tenant?.placement_id !== move.source_placement) {
    const db = runtime.databases.forPlacement(await runtime.tenants.placement(move.source_placement));
    rows = await purgeRows((work) => asTenant(db, move.tenant_id, work), await tenantTables(db));
  }
  await movesRepo.markSourcePurged(control, move.id);
  return { purged: true, rows };
}

async function loadTenant(runtime: Runtime, ref: string): Promise<Tenant> {
  const { id } = await runtime.tenants.get(ref);
  const tenant = (await tenantsRepo.byId(runtime.databases.platform, id))!;
  if (tenant.status === 'deleted') refuse('platform.move.deleted', { slug: tenant.slug });
  return tenant;
}

type PlannedTarget = Placement | { id: string; tier: 'silo'; cluster: string };

function sameTarget(planned: PlannedTarget, target: MoveTarget): boolean {
  return 'placementId' in target ? planned.id === target.placementId : planned.tier === 'silo' && planned.cluster === (target.cluster ?? planned.cluster);
}

/**
 * The placement a move goes to: one named (a pool cell, or a silo made ahead), or a silo of the tenant's own on
 * the cluster asked for, made when the move starts (silo-<slug>, or silo-<slug>-<cluster> when the tenant's
 * current silo already has that name).
 */
async function targetOf(runtime: Runtime, tenant: Tenant, source: Placement, target: MoveTarget): Promise<PlannedTarget> {
  if ('placementId' in target) {
    const placement = await runtime.tenants.placement(target.placementId);
    if (placement.id === source.id) refuse('platform.move.already_there', { slug: tenant.slug, target: placement.id });
    if (placement.tenant_count >= placement.tenant_capacity) throw new AppError('unavailable', text('platform.placement_full', { id: placement.id }));
    if (placement.tier === 'silo' && placement.tenant_count > 0) throw new AppError('unavailable', text('platform.placement_full', { id: placement.id }));
    return placement;
  }
  const cluster = target.cluster ?? 'main';
  if (!(cluster in runtime.databases.settings.clusters)) {
    throw new AppError('unprocessable', text('platform.no_cluster', { cluster, known: Object.keys(runtime.databases.settings.clusters).sort().join(', ') }));
  }
  if (source.tier === 'silo' && source.cluster === cluster) refuse('platform.move.already_there', { slug: tenant.slug, target: source.id });
  for (const id of [`silo-${tenant.slug}`, `silo-${tenant.slug}-${cluster}`]) {
    if (id === source.id) continue;
    const existing = await tenantsRepo.placement(runtime.databases.platform, id);
    if (!existing) return { id, tier: 'silo', cluster };
    // A silo left by an earlier move of this tenant (empty again) is used again.
    if (existing.tier === 'silo' && existing.cluster === cluster && existing.tenant_count === 0) return existing;
  }
  throw new AppError('unavailable', text('platform.placement_full', { id: `silo-${tenant.slug}-${cluster}` }));
}

async function planOf(runtime: Runtime, tenant: Tenant, source: Placement, to: PlannedTarget, unfinished: TenantMove | undefined, choice: { method: MoveMethod; why: string }): Promise<MovePlan> {
  const db = runtime.databases.forPlacement(source);
  const tables = await db.transaction().setAccessMode('read only').execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${tenant.id}, true)`.execute(trx);
    const counted = await checksums(trx, await tableShapes(trx), { countOnly: true });
    return [...counted].map(([table, c]) => ({ table, rows: c.rows })).sort((a, b) => a.table.localeCompare(b.table));
  });
  return {
    tenant: { id: tenant.id, slug: tenant.slug },
    from: { placementId: source.id, tier: source.tier, cluster: source.cluster },
    to: { placementId: to.id, tier: to.tier, cluster: to.cluster, exists: 'database' in to },
    method: choice.method,
    why: choice.why,
    resumes: unfinished ? { moveId: unfinished.id, state: unfinished.state } : null,
    tables,
    rows: tables.reduce((n, t) => n + t.rows, 0),
  };
}

/**
 * Logical replication where the servers allow it, else the read-only copy: wal_level=logical at the source, a
 * role there that may make a replication slot, and one at the target that may make a subscription (a superuser
 * on PostgreSQL 15; the target's role is asked on its cluster, as a new silo's database is made only later).
 */
async function methodFor(runtime: Runtime, source: Placement, target: PlannedTarget, asked: MoveMethod | undefined): Promise<{ method: MoveMethod; why: string }> {
  if (asked === 'copy') return { method: 'copy', why: 'asked for' };
  const at = await onDatabase(runtime.databases.adminUrl(source), async (db) =>
    (await db.query<{ wal_level: string; may_slot: boolean }>(
      `select current_setting('wal_level') as wal_level, (select rolsuper or rolreplication from pg_roles where rolname = current_user) as may_slot`,
    )).rows[0]!);
  const mayReplicate = await onDatabase(runtime.databases.clusterUrl(target.cluster), async (db) =>
    (await db.query<{ may: boolean }>(`select rolsuper as may from pg_roles where rolname = current_user`)).rows[0]!.may);
  const missing = [
    at.wal_level !== 'logical' ? `the source's wal_level is ${at.wal_level}, not logical` : null,
    !at.may_slot ? `the source cluster's role may not make a replication slot (it needs REPLICATION)` : null,
    !mayReplicate ? `the target cluster's role may not make a subscription (PostgreSQL 15 needs a superuser)` : null,
  ].filter((m): m is string => m !== null);
  if (missing.length > 0) return { method: 'copy', why: missing.join('; ') };
  return { method: 'replication', why: 'wal_level is logical, and both roles may replicate' };
}

/**
 * The copying state: pauses the tenant's writes at the source, copies and verifies its rows into the target in
 * one transaction, then fences the source. Returns with the lock still held (release() gives it back): the
 * tenant's writes stay paused until the switch.
 */
async function copyAndFence(runtime: Runtime, tenant: Tenant, source: Placement, target: Placement, move: TenantMove, step: (s: MoveStep) => Promise<void>): Promise<Frozen> {
  const lock = await session(runtime.databases.adminUrl(source));
  const release = () => lock.end().catch(() => undefined);
  let pauseStarted: number;
  let rows: { rows: number; tables: number };
  let copyMs: number;
  try {
    await lock.query(`set lock_timeout = '${LOCK_TIMEOUT}'`);
    // Granted once the tenant's writes under way have committed; from the request on, new ones are read only.
    await lock.query('select pg_advisory_lock(app.move_lock_key($1))', [tenant.id]);
    pauseStarted = performance.now();
    await step('locked');
    let shown = performance.now();
    // What the admin API shows of a copy under way: the rows loaded so far, at most once a second.
    const progress = async (n: number) => {
      if (performance.now() - shown < 1000) return;
      shown = performance.now();
      await movesRepo.progress(runtime.databases.platform, move.id, { rows: n });
    };
    rows = await copyRows(runtime.databases.forPlacement(source), runtime.databases.forPlacement(target), tenant.id, progress);
    copyMs = Math.round(performance.now() - pauseStarted);
  } catch (error) {
    await release();
    // Nothing is fenced (unless a crashed run fenced it: then this stays to be resumed), so the source serves the
    // tenant again and a new move starts afresh.
    const fenced = await onDatabase(runtime.databases.adminUrl(source), (db) => db.query('select 1 from tenancy.departed where tenant_id = $1', [tenant.id]));
    if (fenced.rowCount === 0) await movesRepo.advance(runtime.databases.platform, move.id, 'copying', 'failed', { error: String((error as Error).message ?? error) });
    throw error;
  }
  try {
    await step('copied');
    // From here a crash leaves the move to be resumed: the source refuses the tenant until the rerun switches.
    await fence(lock, tenant.id, target.id);
    await movesRepo.advance(runtime.databases.platform, move.id, 'copying', 'fenced', { rows: rows.rows, tables: rows.tables });
    await step('fenced');
    return { rows: rows.rows, pauseStarted, copyMs, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/** The publication, replication slot and subscription of a move: one name, from its id. */
const replicationName = (moveId: string) => `studiohive_move_${moveId.replaceAll('-', '')}`;

/**
 * The replicating state: the target's old rows of the tenant cleared, a publication of the tenant's rows at the
 * source and a subscription at the target; then, once the first copy is done, the cut-over: the source's writes
 * paused, the target caught up and verified, the source fenced. Returns with the lock still held (release() gives
 * it back): the tenant's writes stay paused until the switch.
 */
async function replicateAndFence(runtime: Runtime, tenant: Tenant, source: Placement, target: Placement, move: TenantMove, step: (s: MoveStep) => Promise<void>): Promise<Frozen> {
  const name = replicationName(move.id);
  const sourceUrl = runtime.databases.adminUrl(source);
  const targetUrl = runtime.databases.adminUrl(target);
  const sourceDb = runtime.databases.forPlacement(source);
  const targetDb = runtime.databases.forPlacement(target);
  const started = performance.now();
  let lock: pg.Client | null = null;
  const release = async () => {
    await lock?.end().catch(() => undefined);
    lock = null;
  };
  try {
    // What an earlier attempt left (its subscription, slot, publication, and rows at the target) goes first.
    await tearDownReplication(runtime, source, target, move.id);
    await clearTenant(targetDb, tenant.id);
    const tables = await tenantTables(sourceDb);
    await onDatabase(sourceUrl, async (db) => {
      const filtered = tables.map((t) => `${t.name} where (tenant_id = ${db.escapeLiteral(tenant.id)})`).join(', ');
      await db.query(`create publication ${name} for table ${filtered}`);
      // Made here, not by the subscription: a subscription that makes its slot on its own cluster waits forever.
      await db.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
    });
    await onDatabase(targetUrl, (db) =>
      db.query(`create subscription ${name} connection ${db.escapeLiteral(sourceUrl)} publication ${name} with (create_slot = false, slot_name = '${name}', copy_data = true)`));
    await waitForFirstCopy(targetUrl, name, move, runtime);
    const copyMs = Math.round(performance.now() - started);
    await step('synced');

    lock = await session(sourceUrl);
    await lock.query(`set lock_timeout = '${LOCK_TIMEOUT}'`);
    // Granted once the tenant's writes under way have committed; from the request on, new ones are read only.
    await lock.query('select pg_advisory_lock(app.move_lock_key($1))', [tenant.id]);
    const pauseStarted = performance.now();
    await step('locked');
    const rows = await caughtUp(sourceDb, targetDb, tenant.id);
    await step('copied');
    await fence(lock, tenant.id, target.id);
    await movesRepo.advance(runtime.databases.platform, move.id, 'replicating', 'fenced', { rows, tables: tables.length });
    await step('fenced');
    return { rows, pauseStarted, copyMs, release };
  } catch (error) {
    await release();
    const fenced = await onDatabase(sourceUrl, (db) => db.query('select 1 from tenancy.departed where tenant_id = $1', [tenant.id]));
    // Fenced by a crashed run: left to be resumed. Otherwise the source serves the tenant as before.
    if (fenced.rowCount === 0) {
      await tearDownReplication(runtime, source, target, move.id).catch(() => undefined);
      await movesRepo.advance(runtime.databases.platform, move.id, 'replicating', 'failed', { error: String((error as Error).message ?? error) });
    }
    throw error;
  }
}

/** Waits for the subscription's first copy of every table (and shows its progress); a sync error fails the move. */
async function waitForFirstCopy(targetUrl: string, name: string, move: TenantMove, runtime: Runtime) {
  await onDatabase(targetUrl, async (db) => {
    const deadline = performance.now() + SYNC_MS;
    for (let shown = 0; ; ) {
      const { rows } = await db.query<{ tables: number; pending: number; errors: string }>(
        `select count(r.*)::int as tables, count(r.*) filter (where r.srsubstate <> 'r')::int as pending,
                coalesce((select sync_error_count + apply_error_count from pg_stat_subscription_stats st where st.subid = s.oid), 0)::text as errors
           from pg_subscription s left join pg_subscription_rel r on r.srsubid = s.oid
          where s.subname = $1 group by s.oid`,
        [name],
      );
      const state = rows[0];
      if (!state) throw new Error(`the subscription ${name} is gone`);
      if (Number(state.errors) > 0) throw new Error(`the subscription ${name} failed to copy or apply the tenant's rows (see the target server's log)`);
      if (state.tables > 0 && state.pending === 0) return;
      if (performance.now() > deadline) throw new Error(`the subscription ${name} did not finish its first copy in time`);
      if (performance.now() - shown > 1000) {
        shown = performance.now();
        await movesRepo.progress(runtime.databases.platform, move.id, { tables: state.tables - state.pending });
      }
      await sleep(100);
    }
  });
}

/**
 * The cut-over's check: with the source's writes paused, its rows counted and checksummed once, and the target's
 * again until they match (the catch-up is the last transactions' apply, usually at the first look).
 */
async function caughtUp(sourceDb: Db, targetDb: Db, tenantId: string): Promise<number> {
  const want = await asTenant(sourceDb, tenantId, async (trx) => checksums(trx, await tableShapes(trx)));
  const deadline = performance.now() + CATCH_UP_MS;
  for (;;) {
    const got = await asTenant(targetDb, tenantId, async (trx) => checksums(trx, await tableShapes(trx)));
    const differing = mismatch(want, got);
    if (!differing) return [...want.values()].reduce((n, t) => n + t.rows, 0);
    if (performance.now() > deadline) throw new Error(differing);
    await sleep(50);
  }
}

function mismatch(want: Checksums, got: Checksums): string | null {
  for (const [table, w] of want) {
    const g = got.get(table);
    if (g?.rows !== w.rows || g.checksum !== w.checksum) {
      return `the copy of ${table} does not match its source (${g?.rows ?? 0} rows, checksum ${g?.checksum}; source ${w.rows} rows, ${w.checksum}): nothing was switched`;
    }
  }
  return null;
}

/** Drops a move's subscription (which drops its slots at the source), then its slot and publication if left. */
async function tearDownReplication(runtime: Runtime, source: Placement, target: Placement, moveId: string) {
  const name = replicationName(moveId);
  await onDatabase(runtime.databases.adminUrl(target), async (db) => {
    if ((await db.query('select 1 from pg_subscription where subname = $1', [name])).rowCount === 0) return;
    // The slot's walsender may outlive the subscription's worker by a moment: the drop is tried again.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await db.query(`drop subscription if exists ${name}`);
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(250);
      }
    }
  });
  await onDatabase(runtime.databases.adminUrl(source), async (db) => {
    for (let attempt = 1; ; attempt += 1) {
      const slot = await db.query<{ active: boolean }>('select active from pg_replication_slots where slot_name = $1', [name]);
      if (slot.rowCount === 0) break;
      if (!slot.rows[0]!.active) {
        await db.query('select pg_drop_replication_slot($1)', [name]);
        break;
      }
      if (attempt >= 20) throw new Error(`the replication slot ${name} is still in use`);
      await sleep(250);
    }
    await db.query(`drop publication if exists ${name}`);
  });
}

async function fence(lock: pg.Client, tenantId: string, targetId: string) {
  await lock.query(
    `insert into tenancy.departed (tenant_id, moved_to) values ($1, $2)
     on conflict (tenant_id) do update set moved_to = excluded.moved_to, departed_at = now()`,
    [tenantId, targetId],
  );
}

/** The rows of every table, copied in one target transaction and verified against the source's snapshot. */
async function copyRows(sourceDb: Db, targetDb: Db, tenantId: string, progress: (rows: number) => Promise<void>): Promise<{ rows: number; tables: number }> {
  return sourceDb.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (src) => {
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(src);
    await rowsAsExactText(src);
    const tables = await tenantTables(src);
    const shapes = await tableShapes(src);
    const expected = await checksums(src, shapes);
    return targetDb.transaction().execute(async (dst) => {
      await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(dst);
      // A copy left by an earlier attempt (or the rows of a tenant that moved out and comes back before its purge).
      const left = await checksums(dst, shapes);
      await clearRows(dst, tables.filter((t) => left.get(t.name)!.rows > 0));
      const load = await StagedLoad.open(dst);
      let rows = 0;
      for (const table of deleteOrder(tables).reverse()) {
        const policy = policyOf(table);
        // A derived table is rebuilt by the target's triggers as its sources are loaded, and verified like the rest.
        if (expected.get(table)!.rows === 0 || policy?.kind === 'derived') continue;
        const shape = shapes.get(table)!;
        const batches = (async function* () {
          for await (const chunk of ndjsonOf(src, table, shape.columns, shape.key, expected.get(table)!.rows)) yield chunk.toString('utf8').slice(0, -1).split('\n');
        })();
        // Every column goes, secrets too: this is the same studio in another place, not an archive.
        const data = policy?.kind === 'data' ? policy : undefined;
        rows += await load.table(table, shape.columns, { kind: 'data', loadOrder: data?.loadOrder, restoreAfterLoad: data?.restoreAfterLoad }, batches);
        await progress(rows);
      }
      await load.finish();
      const differing = mismatch(expected, await checksums(dst, shapes));
      if (differing) throw new Error(differing);
      return { rows, tables: tables.length };
    });
  });
}

/**
 * Each table's row count and checksum, in one statement for all tables: the sum of the first 64 bits of each
 * row's MD5, over the row as exact text (its stored columns but tenant_id, in UTC and ISO). Computed where the rows
 * are, in no order, so neither side sends its rows or sorts them.
 */
type Checksums = Map<string, { rows: number; checksum: string }>;

async function checksums(trx: Tx, shapes: Map<string, TableShape>, opts: { countOnly?: boolean } = {}): Promise<Checksums> {
  await rowsAsExactText(trx);
  const sum = opts.countOnly ? sql`''` : sql`coalesce(sum(('x' || left(md5(row_to_json(r)::text), 16))::bit(64)::bigint::numeric), 0)::text`;
  const parts = [...shapes].map(([table, shape]) => sql`
    select ${table}::text as table, count(*) as rows, ${sum} as checksum
      from (select ${sql.join(shape.columns.map((c) => sql.ref(c)))} from ${sql.table(table)}) r`);
  const { rows } = await sql<{ table: string; rows: string; checksum: string }>`${sql.join(parts, sql` union all `)}`.execute(trx);
  return new Map(rows.map((r) => [r.table, { rows: Number(r.rows), checksum: r.checksum }]));
}

/** Every row of the transaction's tenant, children first (the transaction's tenant is set). */
async function clearRows(trx: Tx, tables: Awaited<ReturnType<typeof tenantTables>>) {
  await sql`select set_config('app.purge', 'on', true)`.execute(trx);
  for (const table of deleteOrder(tables)) await sql`delete from ${sql.table(table)}`.execute(trx);
  await sql`select set_config('app.purge', 'off', true)`.execute(trx);
}

async function clearTenant(db: Db, tenantId: string) {
  await asTenant(db, tenantId, async (trx) => {
    await clearRows(trx, await tenantTables(trx));
    return 0;
  });
}

/**
 * A transaction with the tenant set directly, not through app.enter_tenant: the mover reads a source that is
 * fenced and writes a target the tenant has not reached yet.
 */
function asTenant<T>(db: Db, tenantId: string, work: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
    return work(trx);
  });
}

/** The switch: one catalog transaction. The target's own fence (from an earlier move out of it) goes first. */
async function switchTo(runtime: Runtime, tenant: Tenant, source: Placement, target: Placement, move: TenantMove, writePauseMs: number | null): Promise<TenantMove> {
  await onDatabase(runtime.databases.adminUrl(target), (db) => db.query('delete from tenancy.departed where tenant_id = $1', [tenant.id]));
  return runtime.databases.platform.transaction().execute(async (trx) => {
    if (!(await tenantsRepo.claimPlacement(trx, target.id))) throw new AppError('unavailable', text('platform.placement_full', { id: target.id }));
    await tenantsRepo.releasePlacement(trx, source.id);
    await movesRepo.switchPlacement(trx, tenant.id, target);
    const switched = await movesRepo.advance(trx, move.id, 'fenced', 'switched', { write_pause_ms: writePauseMs });
    if (!switched) throw new Error(`move ${move.id} changed while it was being switched`);
    return switched;
  });
}

async function session(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // A dropped connection is the failure of the step that uses it, never an unheard error that ends the process.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function onDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await session(url);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
