import { Gauge } from 'prom-client';
import type { Runtime } from '../runtime.js';
import { platformRows, tenantRows } from './limits.service.js';
import { levels, type LimitRow } from './thresholds.js';

const CACHE_MS = 10_000;

interface Snapshot {
  platform: LimitRow[];
  tenants: LimitRow[];
}

/**
 * The limits report on /metrics. Platform limits are labelled by scope (clusters, pool cells, folders: a handful);
 * tenant quotas never by tenant, only as how many tenants are at each level and the highest usage ratio, so the
 * number of series stays fixed however many tenants there are. Values are read at scrape time from one snapshot
 * shared by the four gauges and kept for a few seconds, so concurrent or repeated scrapes cost one measurement.
 */
export function registerLimitMetrics(runtime: Runtime): void {
  const registry = runtime.metrics.registry;
  if (registry.getSingleMetric('studiohive_limit_usage')) return;

  let cached: { at: number; snapshot: Promise<Snapshot> } | null = null;
  let lastGood: Snapshot = { platform: [], tenants: [] };
  const snapshot = (): Promise<Snapshot> => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const taken = Promise.all([platformRows(runtime), tenantRows(runtime)])
        .then(([platform, tenants]) => (lastGood = { platform, tenants }))
        .catch((error: unknown) => {
          // A scrape must not fail as a whole because one cluster did not answer; its series keep their last value.
          runtime.log.warn({ err: error }, 'limits metrics: measuring failed');
          return lastGood;
        });
      cached = { at: Date.now(), snapshot: taken };
    }
    return cached.snapshot;
  };

  const platformGauges: Array<[name: string, help: string, value: (r: LimitRow) => number]> = [
    ['studiohive_limit_usage', 'Usage of a platform limit (connections, tenants, bytes, jobs), by limit name and scope (cluster, cell, disk)', (r) => r.usage],
    ['studiohive_limit_max', 'The platform limit itself, by limit name and scope', (r) => r.max],
  ];
  for (const [name, help, value] of platformGauges) {
    new Gauge({
      name,
      help,
      labelNames: ['limit', 'scope'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of (await snapshot()).platform) this.set({ limit: r.limit, scope: r.scope }, value(r));
      },
    });
  }
  new Gauge({
    name: 'studiohive_tenants_at_limit_level',
    help: 'Tenants whose quota is at each level (ok, warning, critical), by quota name, from the last quota_usage measurement',
    labelNames: ['limit', 'level'],
    registers: [registry],
    async collect() {
      this.reset();
      const { tenants } = await snapshot();
      const counts = new Map<string, number>();
      for (const r of tenants) counts.set(`${r.limit}|${r.level}`, (counts.get(`${r.limit}|${r.level}`) ?? 0) + 1);
      for (const limit of new Set(tenants.map((r) => r.limit))) {
        for (const level of levels) this.set({ limit, level }, counts.get(`${limit}|${level}`) ?? 0);
      }
    },
  });
  new Gauge({
    name: 'studiohive_tenant_limit_usage_ratio_max',
    help: 'The highest usage / limit ratio of any tenant, by quota name (1 = a tenant is at its quota)',
    labelNames: ['limit'],
    registers: [registry],
    async collect() {
      this.reset();
      const max = new Map<string, number>();
      for (const r of (await snapshot()).tenants) {
        const ratio = r.max === 0 ? (r.usage > 0 ? 1 : 0) : r.usage / r.max;
        max.set(r.limit, Math.max(max.get(r.limit) ?? 0, ratio));
      }
      for (const [limit, ratio] of max) this.set({ limit }, ratio);
    },
  });
}
