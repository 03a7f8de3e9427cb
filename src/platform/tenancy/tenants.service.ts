import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError, notFound, unlessDuplicate } from '../errors.js';
import { asLocale, text, type Locale } from '../i18n.js';
import type { AuthService } from '../auth/auth.service.js';
import { hashPassword } from '../auth/secrets.js';
import { tenantTables } from '../db/catalog.js';
import { inTenantTransaction, type Databases, type Db } from '../db/databases.js';
import type { Placement, Tenant, TenantStatus, Tier } from '../db/types.js';
import type { Jobs } from '../jobs/jobs.js';
import type { TenantDirectory } from './directory.js';
import { limitsFor, type Limits, type PlatformPlan } from './plans.js';
import { purgeRows } from './purge-rows.js';
import { tenantsRepo } from './tenants.repo.js';

export const RESERVED_SLUGS = new Set([
  'www', 'api', 'app', 'admin', 'platform', 'static', 'assets', 'cdn', 'mail', 'smtp', 'status', 'docs', 'help',
  'support', 'metrics', 'login', 'signup', 'billing', 'studiohive',
]);

export interface CreateTenantInput {
  slug: string;
  displayName: string;
  tier: Tier;
  plan: PlatformPlan;
  limits?: Partial<Limits>;
  /** The studio's language (default Japanese). */
  locale?: Locale;
  placementId?: string;
  /** The cluster (EXTRA_CLUSTERS name, or main) of a new silo's database, or of the pool cell chosen. */
  cluster?: string;
  owner: { email: string; displayName: string; password?: string };
}

/** A tenant made from an archive: no owner is made, the archive has its staff. */
export interface AdmitInput extends Omit<CreateTenantInput, 'owner' | 'limits'> {
  limits?: Partial<Limits>;
  timezone?: string;
}

export interface AddPlacementInput {
  tier: Tier;
  cluster: string;
  id?: string;
  database?: string;
  /** Tenants the placement may hold; a silo holds one. */
  tenantCapacity?: number;
}

/** A placement's database is named after its id, so an operator can tell them apart on the cluster. */
const databaseFor = (id: string) => `studiohive_${id.replaceAll('-', '_')}`;

export interface TenantsServiceDeps {
  databases: Databases;
  directory: TenantDirectory;
  auth: AuthService;
  jobs: Jobs;
  /** From deletion to purge: the operator's grace period plus time for in-flight requests and caches to settle. */
  purgeDelayMs: number;
  /** Creates a placement's database and brings its schema up to date: to the tenant migration it reports. */
  provisionDatabase(placement: Pick<Placement, 'cluster' | 'database'>): Promise<{ schemaVersion: number }>;
}

export const toTenantDto = (t: Tenant, domains: string[] = []) => ({
  id: t.id,
  slug: t.slug,
  displayName: t.display_name,
  status: t.status,
  tier: t.tier,
  placementId: t.placement_id,
  plan: t.plan,
  limits: t.limits,
  timezone: t.timezone,
  locale: asLocale(t.locale),
  domains,
  createdAt: t.created_at.toISOString(),
  suspendedAt: t.suspended_at?.toISOString() ?? null,
  deletedAt: t.deleted_at?.toISOString() ?? null,
  purgedAt: t.purged_at?.toISOString() ?? null,
});

export const toPlacementDto = (p: Placement) => ({
  id: p.id,
  tier: p.tier,
  cluster: p.cluster,
  database: p.database,
  tenantCapacity: p.tenant_capacity,
  tenantCount: p.tenant_count,
});

export type TenantsService = ReturnType<typeof createTenantsService>;

export function createTenantsService(deps: TenantsServiceDeps) {
  // The platform role: the only one allowed to write the catalog.
  const control = deps.databases.platform;

  async function load(idOrSlug: string): Promise<Tenant> {
    const byId = z.uuid().safeParse(idOrSlug).success;
    const tenant = byId ? await tenantsRepo.byId(control, idOrSlug) : await tenantsRepo.bySlug(control, idOrSlug);
    if (!tenant) throw notFound('platform.thing.tenant');
    return tenant;
  }

  const domainsOf = async (tenantId: string) => (await tenantsRepo.domains(control, tenantId)).map((d) => d.domain);

  const withDomains = async (tenant: Tenant) => toTenantDto(tenant, await domainsOf(tenant.id));

  /** Fails by name, before anything is created, for a cluster that is not configured. */
  function assertCluster(cluster: string) {
    if (!(cluster in deps.databases.settings.clusters)) {
      const known = Object.keys(deps.databases.settings.clusters).sort().join(', ');
      throw new AppError('unprocessable', text('platform.no_cluster', { cluster, known }));
    }
  }

  /**
   * Creates a placement's database on its cluster (with the runtime roles), brings its schema up to date, then
   * records it in the catalog: DDL cannot join the catalog transaction, and a database without a catalog row is
   * harmless where a catalog row without its database is not.
   */
  async function addPlacement(input: AddPlacementInput): Promise<Placement> {
    assertCluster(input.cluster);
    const id = input.id ?? `${input.tier}-${input.cluster}-${randomBytes(4).toString('hex')}`;
    if (await tenantsRepo.placement(control, id)) throw new AppError('conflict', text('platform.placement_exists', { id }));
    const placement = {
      id,
      tier: input.tier,
      cluster: input.cluster,
      database: input.database ?? databaseFor(id),
      tenant_capacity: input.tier === 'silo' ? 1 : (input.tenantCapacity ?? 5000),
    };
    const { schemaVersion } = await deps.provisionDatabase(placement);
    await unlessDuplicate(() => tenantsRepo.insertPlacement(control, { ...placement, schema_version: schemaVersion }), text('platform.database_in_use', { database: placement.database, cluster: placement.cluster }));
    return (await tenantsRepo.placement(control, id))!;
  }

  /** Claims a place for the new tenant inside its creation transaction: capacity holds under concurrency. */
  async function claimPlacement(trx: Db, placementId: string | undefined, cluster: string | undefined): Promise<Placement> {
    if (!placementId) {
      const roomiest = await tenantsRepo.claimRoomiestPool(trx, cluster);
      if (!roomiest) {
        throw new AppError('unavailable', cluster ? text('platform.pool_full_on_cluster', { cluster }) : text('platform.pool_full'));
      }
      return roomiest;
    }
    const claimed = await tenantsRepo.claimPlacement(trx, placementId);
    if (claimed) return claimed;
    if (!(await tenantsRepo.placement(trx, placementId))) throw new AppError('unprocessable', text('platform.no_placement', { id: placementId }));
    throw new AppError('unavailable', text('platform.placement_full', { id: placementId }));
  }

  async function assertSlugFree(slug: string) {
    if (RESERVED_SLUGS.has(slug)) throw new AppError('unprocessable', text('platform.slug_reserved', { slug }));
    if (await tenantsRepo.bySlug(control, slug)) throw new AppError('conflict', text('platform.slug_taken', { slug }));
  }

  /**
   * The placement a new tenant is to claim: the one named, or a silo of its own (made now unless one is left from
   * an earlier attempt), or none yet for a pool tenant (the roomiest cell is claimed with the catalog row).
   */
  async function placementFor(input: Pick<CreateTenantInput, 'slug' | 'tier' | 'placementId' | 'cluster'>): Promise<string | undefined> {
    if (input.cluster) assertCluster(input.cluster);
    // A silo left by an earlier attempt at this slug (or by a purged tenant of the same slug) is used again.
    const namedId = input.placementId ?? (input.tier === 'silo' ? `silo-${input.slug}` : undefined);
    const named = namedId ? await tenantsRepo.placement(control, namedId) : undefined;
    if (input.placementId && !named) throw new AppError('unprocessable', text('platform.no_placement', { id: input.placementId }));
    if (named && named.tier !== input.tier) {
      const tier = (t: string) => text('platform.tier', { tier: t });
      throw new AppError('unprocessable', text('platform.placement_tier_mismatch', { id: named.id, tier: tier(named.tier), wanted: tier(input.tier) }));
    }
    if (named && input.cluster && named.cluster !== input.cluster) {
      throw new AppError('unprocessable', text('platform.placement_other_cluster', { id: named.id, cluster: named.cluster, wanted: input.cluster }));
    }
    // A silo is given its own database unless a pre-provisioned one (studiohive placements add --tier silo) is named.
    return input.tier === 'silo' && !named
      ? (await addPlacement({ tier: 'silo', cluster: input.cluster ?? 'main', id: namedId })).id
      : named?.id;
  }

  async function changeStatus(idOrSlug: string, to: TenantStatus, from: TenantStatus[]) {
    const tenant = await load(idOrSlug);
    const updated = await tenantsRepo.setStatus(control, tenant.id, to, from);
    if (!updated) throw new AppError('conflict', text('platform.status_unchanged', { slug: tenant.slug, status: text('platform.tenant_status', { status: tenant.status }), to: text('platform.tenant_status', { status: to }) }));
    const domains = await domainsOf(tenant.id);
    deps.directory.forget(updated, domains);
    return toTenantDto(updated, domains);
  }

  return {
    get: async (idOrSlug: string) => withDomains(await load(idOrSlug)),

    /** From a deletion (or a move) to the purge of the rows left behind. */
    purgeDelayMs: deps.purgeDelayMs,

    /** The studio's language (its staff set it in Settings); every instance sees it within the cache's expiry. */
    async setLocale(tenant: Pick<Tenant, 'id' | 'slug'>, locale: Locale) {
      const updated = await tenantsRepo.setLocale(control, tenant.id, locale);
      deps.directory.forget(updated, await domainsOf(tenant.id));
      return { locale: asLocale(updated.locale) };
    },

    async list(q: { status?: TenantStatus; after?: string; limit: number }) {
      const rows = await tenantsRepo.list(control, { status: q.status, afterSlug: q.after, limit: q.limit + 1 });
      const page = rows.slice(0, q.limit);
      return { items: page.map((t) => toTenantDto(t)), nextCursor: rows.length > q.limit ? page.at(-1)!.slug : null };
    },

    /**
     * Creates the catalog row and the owner account together. In a pool cell on the control-plane database
     * that is one transaction; for a silo the owner is committed in the silo first and the catalog row last,
     * so a failure leaves at most an unreferenced account in an unreferenced database, never a tenant
     * without an owner.
     */
    async create(input: CreateTenantInput) {
      await assertSlugFree(input.slug);
      const passwordHash = input.owner.password ? await hashPassword(input.owner.password) : null;
      const placementId = await placementFor(input);
      // A slug taken meanwhile is refused by its unique key.
      const created = await unlessDuplicate(() => control.transaction().execute(async (trx) => {
        const placement = await claimPlacement(trx, placementId, input.cluster);
        const tenant = await tenantsRepo.insert(trx, {
          slug: input.slug,
          display_name: input.displayName,
          tier: input.tier,
          placement_id: placement.id,
          plan: input.plan,
          locale: input.locale,
          limits: limitsFor(input.plan, input.limits),
        });
        const createOwner = (db: typeof trx) =>
          deps.auth.createStaffAccount(db, tenant, { ...input.owner, role: 'owner', passwordHash });
        let owner;
        if (deps.databases.isControlDatabase(placement)) {
          await sql`select set_config('app.tenant_id', ${tenant.id}, true)`.execute(trx);
          owner = await createOwner(trx);
        } else {
          owner = await inTenantTransaction(deps.databases.forPlacement(placement), tenant.id, createOwner);
        }
        return {
          tenant: toTenantDto(tenant),
          owner: { id: owner.staff.id, email: owner.staff.email, setupToken: owner.setupToken },
        };
      }), text('platform.slug_taken', { slug: input.slug }));
      // A lookup of the slug before it existed is cached as a miss; forget it so the tenant answers at once.
      deps.directory.forget(created.tenant);
      return created;
    },

    /**
     * A tenant whose rows come from elsewhere (an archive): its catalog row is made suspended (it answers nobody),
     * `fill` writes its rows in its placement, and it is then opened. When `fill` fails, the catalog row goes
     * again and its place is released, so a refused import leaves no tenant and its slug free.
     */
    async admit(input: AdmitInput, fill: (db: Db, tenant: Tenant, placement: Placement) => Promise<void>): Promise<Tenant> {
      await assertSlugFree(input.slug);
      const placementId = await placementFor(input);
      const { tenant, placement } = await unlessDuplicate(() => control.transaction().execute(async (trx) => {
        const placement = await claimPlacement(trx, placementId, input.cluster);
        const tenant = await tenantsRepo.insert(trx, {
          slug: input.slug, display_name: input.displayName, tier: input.tier, placement_id: placement.id, plan: input.plan,
          locale: input.locale, limits: limitsFor(input.plan, input.limits), timezone: input.timezone, status: 'suspended',
        });
        return { tenant, placement };
      }), text('platform.slug_taken', { slug: input.slug }));
      try {
        await fill(deps.databases.forPlacement(placement), tenant, placement);
      } catch (error) {
        await control.transaction().execute(async (trx) => {
          await tenantsRepo.remove(trx, tenant.id);
          await tenantsRepo.releasePlacement(trx, placement.id);
        });
        throw error;
      }
      const opened = (await tenantsRepo.setStatus(control, tenant.id, 'active', ['suspended']))!;
      deps.directory.forget(opened);
      return opened;
    },

    /** One placement, by id. */
    async placement(id: string): Promise<Placement> {
      const placement = await tenantsRepo.placement(control, id);
      if (!placement) throw new AppError('unprocessable', text('platform.no_placement', { id }));
      return placement;
    },

    suspend: (idOrSlug: string) => changeStatus(idOrSlug, 'suspended', ['active']),
    resume: (idOrSlug: string) => changeStatus(idOrSlug, 'active', ['suspended']),

    /**
     * Soft delete now (the tenant disappears at once); the purge job removes its rows later. Deleting a deleted,
     * not yet purged tenant schedules its purge again (the job key keeps it to one job), so a lost job can
     * always be recovered by repeating the call.
     */
    async delete(idOrSlug: string) {
      const tenant = await load(idOrSlug);
      if (tenant.purged_at) throw new AppError('conflict', text('platform.already_purged', { slug: tenant.slug }));
      const dto = tenant.status === 'deleted' ? await withDomains(tenant) : await changeStatus(tenant.id, 'deleted', ['active', 'suspended']);
      const runAt = new Date(new Date(dto.deletedAt!).getTime() + deps.purgeDelayMs);
      await deps.jobs.add('tenant_purge', { tenantId: dto.id }, { runAt, jobKey: `tenant_purge:${dto.id}` });
      return { ...dto, purgeScheduledAt: runAt.toISOString() };
    },

    async addDomain(idOrSlug: string, domain: string) {
      const tenant = await load(idOrSlug);
      if (tenant.status === 'deleted') throw new AppError('conflict', text('platform.deleted_no_domain'));
      await unlessDuplicate(() => tenantsRepo.addDomain(control, tenant.id, domain), text('platform.domain_taken', { domain }));
      deps.directory.forget(tenant, [domain]);
      return withDomains(tenant);
    },

    async removeDomain(idOrSlug: string, domain: string) {
      const tenant = await load(idOrSlug);
      const removed = await tenantsRepo.removeDomain(control, tenant.id, domain);
      if (!removed.numDeletedRows) throw notFound('platform.thing.domain');
      deps.directory.forget(tenant, [domain]);
      return withDomains(tenant);
    },

    placements: () => tenantsRepo.placements(control),

    /**
     * Adds a placement on any configured cluster: a pool cell that will hold many tenants, or an empty silo
     * that a later `create` names (a silo made ahead, on a cluster of the operator's choice).
     */
    addPlacement,

    /**
     * Deletes every row of a deleted tenant, table by table (children first), in batches so a large tenant
     * never holds one giant transaction. Passes repeat until one deletes nothing, so a row written by a request
     * that was already in flight is caught too. Safe to run again after a crash: it continues with what is left.
     */
    /** Every tenant that is not deleted, for jobs that visit them all. */
    async liveIds(): Promise<string[]> {
      const ids: string[] = [];
      for (let after: string | undefined; ; ) {
        const page = await tenantsRepo.list(control, { afterSlug: after, limit: 1000 });
        ids.push(...page.filter((t) => t.status !== 'deleted').map((t) => t.id));
        if (page.length < 1000) return ids;
        after = page.at(-1)!.slug;
      }
    },

    async purge(tenantId: string): Promise<{ purged: boolean; rows: number }> {
      const tenant = await tenantsRepo.byId(control, tenantId);
      if (!tenant || tenant.status !== 'deleted' || tenant.purged_at) return { purged: false, rows: 0 };
      // The pool is looked up per batch: one evicted meanwhile is never reused.
      const rows = await purgeRows(
        async (work) => inTenantTransaction(await deps.directory.dbFor(tenant), tenant.id, work),
        await tenantTables(await deps.directory.dbFor(tenant)),
      );
      const domains = await domainsOf(tenant.id);
      const first = await control.transaction().execute(async (trx) => {
        if (!(await tenantsRepo.markPurged(trx, tenant.id))) return false;
        await tenantsRepo.removeAllDomains(trx, tenant.id);
        await tenantsRepo.releasePlacement(trx, tenant.placement_id);
        return true;
      });
      if (!first) return { purged: false, rows };
      deps.directory.forget(tenant, domains);
      return { purged: true, rows };
    },
  };
}
