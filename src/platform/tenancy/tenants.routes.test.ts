import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { taskList } from '../jobs/tasks.js';
import { populateTenant } from '../../../test/support/fixtures.js';
import { startTestPlatform, uniqueSlug, type TestPlatform } from '../../../test/support/platform.js';

let platform: TestPlatform;

const createBody = (slug: string, extra: Record<string, unknown> = {}) => ({
  slug,
  displayName: `Studio ${slug}`,
  owner: { email: `owner@${slug}.example.com`, displayName: 'Owner', password: 'owner password 123' },
  ...extra,
});

beforeAll(async () => {
  platform = await startTestPlatform({ TENANT_CACHE_TTL_MS: '300', TENANT_PURGE_SETTLE_MS: '500' });
});
afterAll(() => platform?.close());

describe('platform admin API', () => {
  it('needs the platform admin token', async () => {
    const none = await platform.app.inject({ method: 'GET', url: '/platform/tenants' });
    const wrong = await platform.app.inject({ method: 'GET', url: '/platform/tenants', headers: { authorization: 'Bearer nope' } });
    for (const res of [none, wrong]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('creates a tenant with its owner in one step; the owner can sign in at the tenant address', async () => {
    const slug = uniqueSlug('yoga');
    const res = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: createBody(slug) });
    expect(res.statusCode).toBe(201);
    const { tenant, owner } = res.json();
    expect(tenant).toMatchObject({ slug, status: 'active', tier: 'pool', placementId: 'pool-main', plan: 'standard' });
    expect(tenant.limits.members).toBe(5000);
    expect(owner.setupToken).toBeNull();
    const login = await platform.call({ host: `${slug}.studiohive.test` }, {
      method: 'POST', url: '/api/auth/login', payload: { email: owner.email, password: 'owner password 123' },
    });
    expect(login.statusCode).toBe(200);
    const shown = await platform.platform({ method: 'GET', url: `/platform/tenants/${slug}` });
    expect(shown.json().id).toBe(tenant.id);
  });

  it('rolls the whole creation back when the owner cannot be created', async () => {
    const slug = uniqueSlug('atomic');
    const admin = await platform.admin();
    // A trigger that refuses staff rows for this slug's owner makes the second half of the creation fail.
    await admin.query(`create or replace function app.refuse_owner() returns trigger language plpgsql as $$
      begin if new.email like 'owner@${slug}%' then raise exception 'refused'; end if; return new; end $$;
      create trigger refuse_owner before insert on app.staff for each row execute function app.refuse_owner()`);
    try {
      const countBefore = (await admin.query(`select tenant_count from platform.placements where id = 'pool-main'`)).rows[0].tenant_count;
      const res = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: createBody(slug) });
      expect(res.statusCode).toBe(500);
      const left = await admin.query('select count(*)::int as n from platform.tenants where slug = $1', [slug]);
      expect(left.rows[0].n).toBe(0);
      const countAfter = (await admin.query(`select tenant_count from platform.placements where id = 'pool-main'`)).rows[0].tenant_count;
      expect(countAfter).toBe(countBefore);
    } finally {
      await admin.query('drop trigger refuse_owner on app.staff; drop function app.refuse_owner()');
    }
  });

  it('refuses bad, reserved and taken slugs with a clear problem', async () => {
    const bad = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: createBody('Bad_Slug') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({ location: 'body', path: 'slug' });
    const reserved = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: createBody('admin') });
    expect(reserved.statusCode).toBe(422);
    // The operators' API answers in Japanese unless asked for English.
    expect(reserved.json().detail).toBe('スラッグ「admin」は予約済みのため使えません。');
    const slug = uniqueSlug();
    await platform.platform({ method: 'POST', url: '/platform/tenants', payload: createBody(slug) });
    const taken = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: createBody(slug) });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().detail).toBe(`スラッグ「${slug}」はすでに使われています。`);
    const inEnglish = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: createBody(slug), headers: { 'accept-language': 'en' } });
    expect(inEnglish.json().detail).toBe(`The slug "${slug}" is taken`);
  });

  it('invites the owner when no password is given', async () => {
    const slug = uniqueSlug();
    const body = createBody(slug);
    const res = await platform.platform({
      method: 'POST', url: '/platform/tenants', payload: { ...body, owner: { email: body.owner.email, displayName: 'O' } },
    });
    expect(res.json().owner.setupToken).toMatch(/^shr_/);
  });

  it('lists with a cursor and filters by status', async () => {
    const first = await platform.platform({ method: 'GET', url: '/platform/tenants?limit=2' });
    expect(first.json().items).toHaveLength(2);
    const next = await platform.platform({ method: 'GET', url: `/platform/tenants?limit=2&after=${first.json().nextCursor}` });
    expect(next.json().items[0].slug > first.json().items[1].slug).toBe(true);
    const bad = await platform.platform({ method: 'GET', url: '/platform/tenants?limit=0' });
    expect(bad.statusCode).toBe(400);
  });
});

describe('tenant resolution', () => {
  it('answers 404 problem+json for unknown studios and the bare domain', async () => {
    for (const host of ['nope-nope.studiohive.test', 'studiohive.test', 'a.b.studiohive.test', 'unknown.example.org']) {
      const res = await platform.app.inject({ method: 'GET', url: '/api/tenant', headers: { host } });
      expect(res.statusCode, host).toBe(404);
      expect(res.json().code).toBe('tenant_not_found');
    }
  });

  it('works in Japanese unless its owner or a manager sets English; the desk cannot, and nothing else is accepted', async () => {
    const t = await platform.createTenant();
    const info = async () => (await platform.call(t, { method: 'GET', url: '/api/tenant' })).json();
    expect((await info()).locale).toBe('ja');
    const set = (payload: object, token = t.ownerToken) => platform.call(t, { method: 'PUT', url: '/api/tenant/locale', token, payload });
    expect((await set({ locale: 'fr' })).statusCode).toBe(400);
    expect((await set({ locale: 'en' })).json()).toEqual({ locale: 'en' });
    expect((await info()).locale).toBe('en');
    expect((await platform.call(t, { method: 'GET', url: '/api/manifest.webmanifest' })).json().lang).toBe('en');
    const desk = await platform.call(t, { method: 'POST', url: '/api/api-keys', token: t.ownerToken, payload: { name: 'desk', role: 'front_desk' } });
    expect(desk.statusCode).toBe(201);
    const deskToken = desk.json().key as string;
    expect((await set({ locale: 'ja' }, deskToken)).statusCode).toBe(403);
    expect((await info()).locale).toBe('en');
  });

  it('resolves a registered custom domain, and stops when it is removed', async () => {
    const t = await platform.createTenant();
    const domain = `book.${t.slug}.example.com`;
    const added = await platform.platform({ method: 'POST', url: `/platform/tenants/${t.id}/domains`, payload: { domain } });
    expect(added.json().domains).toEqual([domain]);
    const res = await platform.app.inject({ method: 'GET', url: '/api/tenant', headers: { host: `${domain.toUpperCase()}:443` } });
    expect(res.json().slug).toBe(t.slug);
    const dup = await platform.platform({ method: 'POST', url: `/platform/tenants/${t.id}/domains`, payload: { domain } });
    expect(dup.statusCode).toBe(409);
    await platform.platform({ method: 'DELETE', url: `/platform/tenants/${t.id}/domains/${domain}` });
    expect((await platform.app.inject({ method: 'GET', url: '/api/tenant', headers: { host: domain } })).statusCode).toBe(404);
  });

  it('says a suspended studio is suspended, within the cache expiry on another instance, and resumes', async () => {
    const t = await platform.createTenant();
    const other = await startTestPlatform({ TENANT_CACHE_TTL_MS: '300' }); // a second app instance
    try {
      expect((await other.call(t, { method: 'GET', url: '/api/auth/me', token: t.ownerToken })).statusCode).toBe(200);
      const suspended = await platform.platform({ method: 'POST', url: `/platform/tenants/${t.id}/suspend` });
      expect(suspended.json().status).toBe('suspended');
      const here = await platform.call(t, { method: 'GET', url: '/api/auth/me', token: t.ownerToken });
      expect(here.statusCode).toBe(403);
      expect(here.json()).toMatchObject({ code: 'tenant_suspended' });
      expect(here.json().detail).toContain('停止中');
      await new Promise((r) => setTimeout(r, 350));
      expect((await other.call(t, { method: 'GET', url: '/api/auth/me', token: t.ownerToken })).json().code).toBe('tenant_suspended');
      const again = await platform.platform({ method: 'POST', url: `/platform/tenants/${t.id}/suspend` });
      expect(again.statusCode).toBe(409);
      await platform.platform({ method: 'POST', url: `/platform/tenants/${t.id}/resume` });
      expect((await platform.call(t, { method: 'GET', url: '/api/auth/me', token: t.ownerToken })).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('deleting a tenant', () => {
  it('hides it at once, and the purge job leaves none of its rows anywhere', async () => {
    const t = await platform.createTenant();
    await populateTenant(platform, t);
    const keep = await platform.createTenant();
    const admin = await platform.admin();
    const rowsOf = async (tenantId: string) => {
      const tables = await admin.query(`select format('%I.%I', schemaname, tablename) as t from pg_tables where schemaname = 'app'`);
      let n = 0;
      for (const { t: table } of tables.rows) n += (await admin.query(`select count(*)::int as n from ${table} where tenant_id = $1`, [tenantId])).rows[0].n;
      return n;
    };
    expect(await rowsOf(t.id)).toBeGreaterThan(6);
    const keepBefore = await rowsOf(keep.id);
    // Its mail waits for SMTP_URL, which this platform has not: delivery does not come straight back for it (a job
    // queueing itself again at once would keep the worker from the purge, and from every other job, for ever).
    const waiting = await admin.query(`select count(*)::int as n from app.outbox where tenant_id = $1 and channel = 'mail' and status = 'pending'`, [t.id]);
    expect(waiting.rows[0].n).toBeGreaterThan(0);
    expect(platform.runtime.messaging.senders.mail).toBeUndefined();
    expect((await platform.runtime.messaging.deliver(t.id)).next).toBeNull();

    const deleted = await platform.platform({ method: 'DELETE', url: `/platform/tenants/${t.id}` });
    expect(deleted.json()).toMatchObject({ status: 'deleted' });
    expect((await platform.call(t, { method: 'GET', url: '/api/tenant' })).statusCode).toBe(404);
    const job = await admin.query(`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'tenant_purge' and key = $1`, [`tenant_purge:${t.id}`]);
    expect(job.rows[0].n).toBe(1);

    // The real worker picks the job up.
    await platform.runtime.jobs.start(taskList(platform.runtime), { concurrency: 1 });
    try {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const r = await admin.query('select purged_at from platform.tenants where id = $1', [t.id]);
        if (r.rows[0].purged_at) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await platform.runtime.jobs.stop();
    }
    expect(await rowsOf(t.id)).toBe(0);
    expect(await rowsOf(keep.id)).toBe(keepBefore);
    const shown = await platform.platform({ method: 'GET', url: `/platform/tenants/${t.id}` });
    expect(shown.json().purgedAt).not.toBeNull();
    // A second run (a retried job) is harmless.
    expect(await platform.runtime.tenants.purge(t.id)).toEqual({ purged: false, rows: 0 });
  });

  it('repeats a delete harmlessly (re-scheduling a lost purge), but never resumes a deleted tenant', async () => {
    const t = await platform.createTenant();
    const first = await platform.platform({ method: 'DELETE', url: `/platform/tenants/${t.id}` });
    const again = await platform.platform({ method: 'DELETE', url: `/platform/tenants/${t.id}` });
    expect(again.statusCode).toBe(200);
    expect(again.json().purgeScheduledAt).toBe(first.json().purgeScheduledAt);
    const admin = await platform.admin();
    const jobs = await admin.query(`select count(*)::int as n from graphile_worker.jobs where key = $1`, [`tenant_purge:${t.id}`]);
    expect(jobs.rows[0].n).toBe(1);
    expect((await platform.platform({ method: 'POST', url: `/platform/tenants/${t.id}/resume` })).statusCode).toBe(409);
    await platform.runtime.tenants.purge(t.id);
    expect((await platform.platform({ method: 'DELETE', url: `/platform/tenants/${t.id}` })).statusCode).toBe(409);
  });
});

describe('placements', () => {
  it('fill a cell exactly to its capacity under concurrent creation, and a purge frees the place', async () => {
    const database = `studiohive_cell_${Math.random().toString(36).slice(2, 8)}`;
    const cell = await platform.runtime.tenants.addPlacement({ tier: 'pool', id: `pool-${database.slice(-6)}`, cluster: 'main', database, tenantCapacity: 2 });
    const attempts = await Promise.all(
      [1, 2, 3, 4].map(() =>
        platform.platform({ method: 'POST', url: '/platform/tenants', payload: { ...createBody(uniqueSlug()), placementId: cell.id } }),
      ),
    );
    const statuses = attempts.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([201, 201, 503, 503]);
    const listed = (await platform.platform({ method: 'GET', url: '/platform/placements' })).json().items;
    expect(listed.find((p: { id: string }) => p.id === cell.id)).toMatchObject({ tenantCount: 2, tenantCapacity: 2 });

    const countOf = async () =>
      (await platform.platform({ method: 'GET', url: '/platform/placements' })).json().items.find((p: { id: string }) => p.id === cell.id).tenantCount;
    const first = attempts.find((a) => a.statusCode === 201)!.json().tenant;
    await platform.platform({ method: 'DELETE', url: `/platform/tenants/${first.id}` });
    // Two purges at once (a re-scheduled job beside a running one) release the place once.
    const purges = await Promise.all([platform.runtime.tenants.purge(first.id), platform.runtime.tenants.purge(first.id)]);
    expect(purges.filter((p) => p.purged)).toHaveLength(1);
    expect(await countOf()).toBe(1);
    const again = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: { ...createBody(uniqueSlug()), placementId: cell.id } });
    expect(again.statusCode).toBe(201);
    expect(await countOf()).toBe(2);
  });

  it('refuse an unknown placement, and a silo placement for a pool tenant', async () => {
    const unknown = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: { ...createBody(uniqueSlug()), placementId: 'pool-nowhere' } });
    expect(unknown.statusCode).toBe(422);
    const silo = await platform.createTenant({ tier: 'silo' });
    const onSilo = await platform.platform({ method: 'POST', url: '/platform/tenants', payload: { ...createBody(uniqueSlug()), placementId: `silo-${silo.slug}` } });
    expect(onSilo.statusCode).toBe(422);
  });
});

describe('silo tier', () => {
  it('puts a silo tenant in its own database, where its owner signs in as usual', async () => {
    const t = await platform.createTenant({ tier: 'silo' });
    const shown = (await platform.platform({ method: 'GET', url: `/platform/tenants/${t.id}` })).json();
    expect(shown.tier).toBe('silo');
    expect(shown.placementId).toBe(`silo-${t.slug}`);
    const admin = await platform.admin();
    const inPool = await admin.query('select count(*)::int as n from app.staff where tenant_id = $1', [t.id]);
    expect(inPool.rows[0].n).toBe(0);
    expect((await platform.call(t, { method: 'GET', url: '/api/staff', token: t.ownerToken })).json().items).toHaveLength(1);
  });
});

describe('placements on another cluster', () => {
  const post = (url: string, payload: Record<string, unknown>) => platform.platform({ method: 'POST', url, payload, headers: { 'accept-language': 'en' } });
  const signsIn = async (slug: string) =>
    (await platform.app.inject({ method: 'POST', url: '/api/auth/login', headers: { host: `${slug}.studiohive.test` }, payload: { email: `owner@${slug}.example.com`, password: 'owner password 123' } })).statusCode;
  /** Whether a database exists on the second cluster, asked of that server itself. */
  async function onSecondCluster(database: string) {
    const client = new pg.Client({ connectionString: inject('extraSuperuserUrls').second });
    await client.connect();
    try {
      return (await client.query('select 1 from pg_database where datname = $1', [database])).rowCount === 1;
    } finally {
      await client.end();
    }
  }

  it('adds a pool cell and silos there, and serves the tenants placed in them', async () => {
    // A small cell: the roomiest cell overall stays pool-main, where the other test files put their tenants.
    const cell = await post('/platform/placements', { tier: 'pool', cluster: 'second', tenantCapacity: 20 });
    expect(cell.statusCode, cell.body).toBe(201);
    expect(cell.json()).toMatchObject({ tier: 'pool', cluster: 'second', tenantCapacity: 20, tenantCount: 0 });
    expect(await onSecondCluster(cell.json().database)).toBe(true);

    const pooledSlug = uniqueSlug();
    const pooled = await post('/platform/tenants', createBody(pooledSlug, { cluster: 'second' }));
    expect(pooled.statusCode, pooled.body).toBe(201);
    const clusterOf = async (placementId: string) =>
      (await platform.platform({ method: 'GET', url: '/platform/placements' })).json().items.find((p: { id: string }) => p.id === placementId).cluster;
    expect(await clusterOf(pooled.json().tenant.placementId)).toBe('second');
    expect(await signsIn(pooledSlug)).toBe(200);
    const inCell = await post('/platform/tenants', createBody(uniqueSlug(), { placementId: cell.json().id }));
    expect(inCell.json().tenant.placementId).toBe(cell.json().id);

    const siloSlug = uniqueSlug();
    const silo = await post('/platform/tenants', createBody(siloSlug, { tier: 'silo', cluster: 'second' }));
    expect(silo.statusCode, silo.body).toBe(201);
    const placements = (await platform.platform({ method: 'GET', url: '/platform/placements' })).json().items;
    const siloPlacement = placements.find((p: { id: string }) => p.id === silo.json().tenant.placementId);
    expect(siloPlacement).toMatchObject({ tier: 'silo', cluster: 'second', tenantCount: 1, tenantCapacity: 1 });
    expect(await onSecondCluster(siloPlacement.database)).toBe(true);
    expect(await signsIn(siloSlug)).toBe(200);
  });

  it('takes a silo made ahead, once', async () => {
    const made = await post('/platform/placements', { tier: 'silo', cluster: 'second' });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({ tier: 'silo', cluster: 'second', tenantCapacity: 1, tenantCount: 0 });
    const slug = uniqueSlug();
    const first = await post('/platform/tenants', createBody(slug, { tier: 'silo', placementId: made.json().id }));
    expect(first.statusCode, first.body).toBe(201);
    expect(await signsIn(slug)).toBe(200);
    const second = await post('/platform/tenants', createBody(uniqueSlug(), { tier: 'silo', placementId: made.json().id }));
    expect(second.statusCode).toBe(503);
  });

  it('refuses an unknown cluster, a tier that does not match the placement, and a placement id taken, changing nothing', async () => {
    const unknownCell = await post('/platform/placements', { tier: 'pool', cluster: 'nowhere' });
    expect(unknownCell.statusCode).toBe(422);
    expect(unknownCell.json().detail).toMatch(/No database cluster "nowhere" \(configured: main, second;/);
    const unknownSilo = await post('/platform/tenants', createBody(uniqueSlug(), { tier: 'silo', cluster: 'nowhere' }));
    expect(unknownSilo.statusCode).toBe(422);
    const poolOnSilo = await post('/platform/tenants', createBody(uniqueSlug(), { tier: 'silo', placementId: 'pool-main' }));
    expect(poolOnSilo.statusCode).toBe(422);
    expect((await post('/platform/placements', { tier: 'pool', id: 'pool-main' })).statusCode).toBe(409);
    for (const bad of [{ tier: 'cell' }, { tier: 'pool', cluster: 'Main!' }, { tier: 'pool', tenantCapacity: 0 }]) {
      const res = await post('/platform/placements', bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const items = (await platform.platform({ method: 'GET', url: '/platform/placements' })).json().items;
    expect(items.filter((p: { cluster: string }) => p.cluster === 'nowhere')).toEqual([]);
  });
});
