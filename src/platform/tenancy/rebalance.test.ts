import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proposeRebalance, planRebalance, rebalance, warningCount, type RebalanceCell } from './rebalance.js';
import { tenantsRepo } from './tenants.repo.js';
import { startTestPlatform, type TestPlatform } from '../../../test/support/platform.js';

const cell = (id: string, tenants: number, capacity: number, cluster = 'main'): RebalanceCell => ({ id, cluster, tenants, capacity, warnAt: warningCount(capacity) });
const studios = (prefix: string, sizes: Array<number | null>) => sizes.map((members, i) => ({ id: `${prefix}-${i}`, slug: `${prefix}-${i}`, members }));

describe('rebalancing pool cells (issue 19)', () => {
  it('knows where a cell reaches its warning level: 80% by default, or as LIMIT_THRESHOLDS says', () => {
    expect(warningCount(5000)).toBe(4000);
    expect(warningCount(10)).toBe(8);
    expect(warningCount(2)).toBe(2);
    expect(warningCount(10, { 'platform.cell_tenants': { warning: '50%' } })).toBe(5);
    expect(warningCount(10, { 'platform.cell_tenants': { warning: 3 } })).toBe(3);
  });

  it('moves the smallest studios out of a full cell into the cells with the most room, until every cell is under its warning level', () => {
    const plan = proposeRebalance(
      [cell('a', 9, 10), cell('b', 2, 10), cell('c', 5, 10, 'second')],
      new Map([['a', studios('a', [300, 12, null, 5000, 40, 7, 8, 9, 10])]]),
    );
    // a warns at 8 tenants: two must go, the smallest (no measure yet counts as nothing, then 7 members).
    expect(plan.moves).toEqual([
      { tenant: { id: 'a-2', slug: 'a-2', members: null }, from: 'a', to: 'b' },
      { tenant: { id: 'a-5', slug: 'a-5', members: 7 }, from: 'a', to: 'b' },
    ]);
    expect(plan.cells.map((c) => [c.id, c.after])).toEqual([['a', 7], ['b', 4], ['c', 5]]);
    expect(plan.stillOver).toEqual([]);
  });

  it('says which cells stay over when there is no room, prefers the same cluster on a tie, and keeps to the cells asked for', () => {
    const full = proposeRebalance([cell('a', 10, 10), cell('b', 7, 10)], new Map([['a', studios('a', Array(10).fill(1))]]));
    expect(full.moves).toEqual([]);
    expect(full.stillOver).toEqual([{ cell: 'a', tenants: 10, warnAt: 8 }]);

    const tie = proposeRebalance([cell('a', 8, 10), cell('x', 3, 10, 'second'), cell('y', 3, 10)], new Map([['a', studios('a', [1, 2, 3])]]));
    expect(tie.moves.map((m) => m.to)).toEqual(['y']);

    const scoped = proposeRebalance([cell('a', 8, 10), cell('b', 0, 10), cell('c', 1, 10)], new Map([['a', studios('a', [1])]]), { into: ['c'] });
    expect(scoped.moves.map((m) => m.to)).toEqual(['c']);
    expect(proposeRebalance([cell('a', 8, 10), cell('b', 0, 10)], new Map([['a', studios('a', [1])]]), { from: ['b'] }).moves).toEqual([]);
  });

  describe('on a real deployment', () => {
    let platform: TestPlatform;
    beforeAll(async () => {
      platform = await startTestPlatform();
    });
    afterAll(async () => {
      await platform?.close();
    });

    it('proposes, then carries out, the move of a studio out of a cell at its warning level, and the studio works where it went', async () => {
      const runtime = platform.runtime;
      const tiny = await runtime.tenants.addPlacement({ tier: 'pool', cluster: 'main', tenantCapacity: 2 });
      const first = await platform.createTenant({ placementId: tiny.id });
      const second = await platform.createTenant({ placementId: tiny.id });
      const scope = { from: [tiny.id], into: ['pool-main'] };
      const plan = await planRebalance(runtime, scope);
      expect(plan.moves).toHaveLength(1);
      expect(plan.moves[0]).toMatchObject({ from: tiny.id, to: 'pool-main' });
      expect([first.id, second.id]).toContain(plan.moves[0]!.tenant.id);
      expect(plan.cells.find((c) => c.id === tiny.id)).toMatchObject({ tenants: 2, warnAt: 2, after: 1 });

      const done = await rebalance(runtime, plan);
      expect(done.map((r) => r.state)).toEqual(['done']);
      const moved = (await tenantsRepo.byId(runtime.databases.platform, plan.moves[0]!.tenant.id))!;
      expect(moved.placement_id).toBe('pool-main');
      const who = moved.id === first.id ? first : second;
      expect((await platform.call(who, { method: 'GET', url: '/api/staff', token: who.ownerToken })).statusCode).toBe(200);
      expect((await planRebalance(runtime, scope)).moves).toEqual([]);
    });
  });
});
