import { LRUCache } from 'lru-cache';
import type { Databases, Db } from '../db/databases.js';
import type { Placement, Tenant } from '../db/types.js';
import { tenantsRepo } from './tenants.repo.js';

interface Cached {
  tenant: Tenant | null;
}

/**
 * Looks tenants up in the catalog, behind a bounded cache with a short expiry: a suspension made on another
 * instance takes effect here within ttlMs. Misses are cached too, so unknown hosts cannot hammer the catalog.
 */
export class TenantDirectory {
  private readonly cache: LRUCache<string, Cached>;
  private readonly placements: LRUCache<string, Placement>;

  constructor(
    private readonly databases: Databases,
    private readonly opts: { ttlMs: number; max: number; baseDomain: string },
  ) {
    this.cache = new LRUCache({ max: opts.max, ttl: Math.max(opts.ttlMs, 1), ttlAutopurge: false });
    this.placements = new LRUCache({ max: 10_000, ttl: 60_000 });
  }

  private get db(): Db {
    return this.databases.control;
  }

  private async cached(key: string, load: () => Promise<Tenant | undefined>): Promise<Tenant | null> {
    if (this.opts.ttlMs > 0) {
      const hit = this.cache.get(key);
      if (hit) return hit.tenant;
    }
    const tenant = (await load()) ?? null;
    this.cache.set(key, { tenant });
    return tenant;
  }

  byId(id: string) {
    return this.cached(`id:${id}`, () => tenantsRepo.byId(this.db, id));
  }

  bySlug(slug: string) {
    return this.cached(`slug:${slug}`, () => tenantsRepo.bySlug(this.db, slug));
  }

  byDomain(domain: string) {
    return this.cached(`domain:${domain}`, () => tenantsRepo.byDomain(this.db, domain));
  }

  /**
   * `{slug}.{BASE_DOMAIN}` names a tenant by slug; any other host is looked up as a registered custom domain.
   * The bare base domain (and its www) names no tenant.
   */
  byHost(rawHost: string | undefined): Promise<Tenant | null> {
    const host = (rawHost ?? '').toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
    const base = this.opts.baseDomain;
    if (!host || host === base || host === `www.${base}`) return Promise.resolve(null);
    if (host.endsWith(`.${base}`)) {
      const label = host.slice(0, -(base.length + 1));
      return label.includes('.') ? Promise.resolve(null) : this.bySlug(label);
    }
    return this.byDomain(host);
  }

  async placementOf(tenant: Pick<Tenant, 'placement_id'>): Promise<Placement> {
    let placement = this.placements.get(tenant.placement_id);
    if (!placement) {
      placement = await tenantsRepo.placement(this.db, tenant.placement_id);
      if (!placement) throw new Error(`Placement ${tenant.placement_id} is missing from the catalog`);
      this.placements.set(placement.id, placement);
    }
    return placement;
  }

  async dbFor(tenant: Pick<Tenant, 'placement_id'>): Promise<Db> {
    return this.databases.forPlacement(await this.placementOf(tenant));
  }

  /** Forgets everything this instance knows about the tenant (after a change made here). */
  forget(tenant: Pick<Tenant, 'id' | 'slug'>, domains: string[] = []): void {
    this.cache.delete(`id:${tenant.id}`);
    this.cache.delete(`slug:${tenant.slug}`);
    for (const d of domains) this.cache.delete(`domain:${d}`);
  }
}
