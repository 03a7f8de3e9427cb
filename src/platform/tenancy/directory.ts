import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import type { Databases, Db } from '../db/databases.js';
import type { Placement, Tenant } from '../db/types.js';
import { catalogLookups } from './tenants.repo.js';

interface Cached {
  tenant: Tenant | null;
}

/** How long a placement's catalog row is kept: a migrate's mark reaches other instances within it. */
const PLACEMENT_TTL_MS = 60_000;

/** PostgreSQL's answer (app.enter_tenant, tenant migration 0034) in a database the tenant has moved out of. */
export const isDepartedTenant = (error: unknown) => (error as { code?: string } | null)?.code === 'SHM01';

/**
 * Looks tenants up in the catalog, behind a bounded cache with a short expiry: a suspension made on another
 * instance takes effect here within ttlMs. Misses are cached too, so unknown hosts cannot hammer the catalog.
 */
export class TenantDirectory {
  private readonly cache: LRUCache<string, Cached>;
  private readonly placements: LRUCache<string, Placement>;

  constructor(
    private readonly databases: Databases,
    private readonly opts: {
      ttlMs: number;
      max: number;
      baseDomain: string;
      /** The highest tenant migration of this code: a placement whose database has less is not served. */
      schemaVersion: number;
    },
  ) {
    this.cache = new LRUCache({ max: opts.max, ttl: Math.max(opts.ttlMs, 1), ttlAutopurge: false });
    this.placements = new LRUCache({ max: 10_000, ttl: PLACEMENT_TTL_MS });
  }

  /** The highest tenant migration of this code (an archive records it). */
  get schemaVersion(): number {
    return this.opts.schemaVersion;
  }

  /** The app role: it reads the catalog only through catalogLookups, one row at a time. */
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
    return this.cached(`id:${id}`, () => catalogLookups.tenantById(this.db, id));
  }

  bySlug(slug: string) {
    return this.cached(`slug:${slug}`, () => catalogLookups.tenantBySlug(this.db, slug));
  }

  byDomain(domain: string) {
    return this.cached(`domain:${domain}`, () => catalogLookups.tenantByDomain(this.db, domain));
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

  /**
   * The tenant's placement, refused (503 maintenance) while its database's last migration failed or its schema is
   * behind this code (a migrate has not reached it yet): its tenants wait, every other tenant is served.
   */
  async placementOf(tenant: Pick<Tenant, 'placement_id'>): Promise<Placement> {
    let placement = this.placements.get(tenant.placement_id);
    if (!placement) {
      placement = await catalogLookups.placement(this.db, tenant.placement_id);
      if (!placement) throw new Error(`Placement ${tenant.placement_id} is missing from the catalog`);
      this.placements.set(placement.id, placement);
    }
    if (placement.migration_status === 'failed' || (placement.schema_version ?? 0) < this.opts.schemaVersion) {
      // The reason (a migration error, a version) is for operators (studiohive migrate), not for the studio's visitors.
      throw new AppError('maintenance', text('platform.studio_updating'), {
        retryAfterSeconds: PLACEMENT_TTL_MS / 1000,
      });
    }
    return placement;
  }

  async dbFor(tenant: Pick<Tenant, 'placement_id'>): Promise<Db> {
    return this.databases.forPlacement(await this.placementOf(tenant));
  }

  /** Forgets a placement's catalog row (after this instance migrated it), so its new state applies at once. */
  forgetPlacement(id: string): void {
    this.placements.delete(id);
  }

  /**
   * Forgets every tenant and placement this instance has cached: a tenant's old database refused it (SQLSTATE
   * SHM01, it has moved), and whoever else this instance still places there may have moved too. Rare: once per
   * move and instance at most.
   */
  forgetAll(): void {
    this.cache.clear();
    this.placements.clear();
  }

  /** Forgets everything this instance knows about the tenant (after a change made here). */
  forget(tenant: Pick<Tenant, 'id' | 'slug'>, domains: string[] = []): void {
    this.cache.delete(`id:${tenant.id}`);
    this.cache.delete(`slug:${tenant.slug}`);
    for (const d of domains) this.cache.delete(`domain:${d}`);
  }
}
