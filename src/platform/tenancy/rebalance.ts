import { sql } from 'kysely';
import type { Placement } from '../db/types.js';
import { levelOf, type Thresholds } from '../limits/thresholds.js';
import type { Runtime } from '../runtime.js';
import { moveTenant, type MoveReport } from './moves.js';
import type { MoveMethod } from './moves.repo.js';

/*
 * Pool cells fill up (issue 19): `studiohive placements rebalance` proposes moves that bring every pool cell under
 * its warning threshold for tenants (the limit platform.cell_tenants: 80% of its capacity unless LIMIT_THRESHOLDS
 * says otherwise), and carries them out one at a time when asked. A new tenant already goes to the cell with the
 * most room (claimRoomiestPool); this is for the cells that filled before another was added.
 */

export interface RebalanceCell {
  id: string;
  cluster: string;
  tenants: number;
  capacity: number;
  /** The tenant count at which the cell reaches its warning level. */
  warnAt: number;
}

/** A tenant that could leave its cell, with its size (members, from the hourly quota measure; null if never measured). */
export interface RebalanceCandidate {
  id: string;
  slug: string;
  members: number | null;
}

export interface RebalanceMove {
  tenant: RebalanceCandidate;
  from: string;
  to: string;
}

export interface RebalancePlan {
  cells: Array<RebalanceCell & { after: number }>;
  moves: RebalanceMove[];
  /** Cells still at or over their warning level after every proposed move: there was no room elsewhere. */
  stillOver: Array<{ cell: string; tenants: number; warnAt: number }>;
}

/** The first tenant count at which the cell's level is no longer ok. */
export function warningCount(capacity: number, thresholds: Thresholds = {}): number {
  for (let n = 0; n <= capacity; n += 1) if (levelOf('platform.cell_tenants', n, capacity, thresholds) !== 'ok') return n;
  return capacity + 1;
}

/**
 * Which tenants to move where: from each cell at or over its warning level, its smallest tenants first (the
 * quickest moves), each to the cell with the most room under its own warning level (on the same cluster when two
 * have as much). A cell is only a destination, never a source, once it has taken a tenant. Pure: tested alone.
 */
export function proposeRebalance(
  cells: RebalanceCell[],
  candidates: Map<string, RebalanceCandidate[]>,
  opts: { from?: string[]; into?: string[] } = {},
): RebalancePlan {
  const count = new Map(cells.map((c) => [c.id, c.tenants]));
  const room = (c: RebalanceCell) => c.warnAt - 1 - count.get(c.id)!;
  const moves: RebalanceMove[] = [];
  const sources = cells.filter((c) => (!opts.from || opts.from.includes(c.id)) && count.get(c.id)! >= c.warnAt);
  const destinations = cells.filter((c) => !opts.into || opts.into.includes(c.id));
  for (const source of sources) {
    const smallestFirst = [...(candidates.get(source.id) ?? [])].sort((a, b) => (a.members ?? 0) - (b.members ?? 0) || a.slug.localeCompare(b.slug));
    for (const tenant of smallestFirst) {
      if (count.get(source.id)! < source.warnAt) break;
      const to = destinations
        .filter((c) => c.id !== source.id && !sources.includes(c) && room(c) > 0)
        .sort((a, b) => room(b) - room(a) || Number(b.cluster === source.cluster) - Number(a.cluster === source.cluster) || a.id.localeCompare(b.id))[0];
      if (!to) break;
      moves.push({ tenant, from: source.id, to: to.id });
      count.set(source.id, count.get(source.id)! - 1);
      count.set(to.id, count.get(to.id)! + 1);
    }
  }
  return {
    cells: cells.map((c) => ({ ...c, after: count.get(c.id)! })),
    moves,
    stillOver: sources.filter((c) => count.get(c.id)! >= c.warnAt).map((c) => ({ cell: c.id, tenants: count.get(c.id)!, warnAt: c.warnAt })),
  };
}

/** The proposal for this deployment's pool cells, from the catalog (no tenant database is read). */
export async function planRebalance(runtime: Runtime, opts: { from?: string[]; into?: string[] } = {}): Promise<RebalancePlan> {
  const control = runtime.databases.platform;
  const pools = (await runtime.tenants.placements()).filter((p: Placement) => p.tier === 'pool');
  const cells = pools.map((p) => ({ id: p.id, cluster: p.cluster, tenants: p.tenant_count, capacity: p.tenant_capacity, warnAt: warningCount(p.tenant_capacity, runtime.config.LIMIT_THRESHOLDS) }));
  const over = cells.filter((c) => c.tenants >= c.warnAt).map((c) => c.id);
  const rows = over.length === 0 ? [] : await control
    .selectFrom('platform.tenants as t')
    .leftJoin('platform.tenant_quota_usage as q', 'q.tenant_id', 't.id')
    .select(['t.id', 't.slug', 't.placement_id', sql<number | null>`q.members`.as('members')])
    .where('t.placement_id', 'in', over)
    .where('t.status', '<>', 'deleted')
    .execute();
  const candidates = new Map<string, RebalanceCandidate[]>();
  for (const r of rows) candidates.set(r.placement_id, [...(candidates.get(r.placement_id) ?? []), { id: r.id, slug: r.slug, members: r.members }]);
  return proposeRebalance(cells, candidates, opts);
}

/** Carries a proposal out, one move at a time; the first that fails stops the rest (a new plan starts from there). */
export async function rebalance(
  runtime: Runtime,
  plan: RebalancePlan,
  opts: { method?: MoveMethod; onMove?: (move: RebalanceMove, report: MoveReport) => void } = {},
): Promise<MoveReport[]> {
  const done: MoveReport[] = [];
  for (const move of plan.moves) {
    const report = (await moveTenant(runtime, move.tenant.id, { placementId: move.to }, { method: opts.method === 'copy' ? 'copy' : undefined })) as MoveReport;
    done.push(report);
    opts.onMove?.(move, report);
  }
  return done;
}
