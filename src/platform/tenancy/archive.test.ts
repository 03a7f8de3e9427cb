import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import yazl from 'yazl';
import { ARCHIVE_POLICY } from './archive-policy.js';
import { importTenantArchive, writeTenantArchive, type ArchiveManifest } from './archive.js';
import { tenantsRepo } from './tenants.repo.js';
import { withCredentials } from '../db/databases.js';
import { AppError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { TEST_ENV } from '../../../test/support/env.js';
import { dropTestDatabase } from '../../../test/support/drop-database.js';
import { latestMail, populateTenant, tokenInMail, type PopulatedTenant } from '../../../test/support/fixtures.js';
import { unzip } from '../../../test/support/zip.js';
import { startTestPlatform, uniqueSlug, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

let platform: TestPlatform;
let A: PopulatedTenant;
let B: TestTenant;
let dir: string;
let archiveOfA: string;
let manifestOfA: ArchiveManifest;

async function exportTo(runtime: Runtime, tenantId: string, file: string) {
  const tenant = (await tenantsRepo.byId(runtime.databases.platform, tenantId))!;
  return writeTenantArchive(runtime, tenant, createWriteStream(file), { locale: 'ja' });
}

/** Every file of an archive on disk, by name. */
const entriesOf = async (file: string) => unzip(await readFile(file));

async function zipOf(files: Map<string, Buffer>, file: string) {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of files) zip.addBuffer(bytes, name);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

/** The archive's files with one table's file replaced, its manifest entry (rows, checksum) made to match. */
function withTable(files: Map<string, Buffer>, table: string, lines: string[], change: (m: ArchiveManifest) => void = () => undefined) {
  const manifest = JSON.parse(files.get('manifest.json')!.toString()) as ArchiveManifest;
  const entry = manifest.tables.find((t) => t.table === table)!;
  const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  Object.assign(entry, { rows: lines.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  change(manifest);
  return new Map([...files, [entry.file, bytes], ['manifest.json', Buffer.from(JSON.stringify(manifest))]]);
}
const placementCount = async (runtime: Runtime) => (await runtime.tenants.placements()).reduce((n, p) => n + p.tenant_count, 0);

beforeAll(async () => {
  platform = await startTestPlatform();
  A = await populateTenant(platform, await platform.createTenant());
  B = await platform.createTenant();
  dir = await mkdtemp(path.join(tmpdir(), 'archive-'));
  archiveOfA = path.join(dir, 'a.zip');
  manifestOfA = await exportTo(platform.runtime, A.id, archiveOfA);
});
afterAll(() => platform?.close());

describe('the archive policy', () => {
  it('classifies every table of the tenant schema, and names none that is gone', async () => {
    const admin = await platform.admin();
    const tables = (await admin.query<{ t: string }>(`select tablename as t from pg_tables where schemaname = 'app' order by 1`)).rows.map((r) => r.t);
    expect(Object.keys(ARCHIVE_POLICY).sort()).toEqual(tables);
  });

  it('blanks or explains every column whose name sounds secret, and names only columns that exist', async () => {
    const admin = await platform.admin();
    const columns = (await admin.query<{ t: string; c: string }>(`select table_name as t, column_name as c from information_schema.columns where table_schema = 'app'`)).rows;
    const sounding = /hash|secret|token|key|password|nonce|p256dh|^auth$/;
    const unexplained: string[] = [];
    for (const [table, policy] of Object.entries(ARCHIVE_POLICY)) {
      if (policy.kind !== 'data') continue;
      const named = { ...policy.secretColumns, ...policy.notSecret };
      for (const c of Object.keys(named)) expect(columns, `${table}.${c}`).toContainEqual({ t: table, c });
      for (const { c } of columns.filter((col) => col.t === table)) if (sounding.test(c) && !(c in named)) unexplained.push(`${table}.${c}`);
    }
    expect(unexplained).toEqual([]);
  });
});

describe('a studio’s archive', () => {
  it('holds every table the policy keeps, with rows, and the invoices’ PDFs, and nothing of another studio or any secret', async () => {
    const kept = Object.entries(ARCHIVE_POLICY).filter(([, p]) => p.kind === 'data').map(([t]) => `app.${t}`).sort();
    expect(manifestOfA.tables.map((t) => t.table).sort()).toEqual(kept);
    // The fixture gives the studio a row in every table.
    expect(manifestOfA.tables.filter((t) => t.rows === 0)).toEqual([]);
    expect(manifestOfA.leftOut.map((t) => t.table).sort()).toEqual(Object.entries(ARCHIVE_POLICY).filter(([, p]) => p.kind !== 'data').map(([t]) => `app.${t}`).sort());
    const files = await entriesOf(archiveOfA);
    expect(manifestOfA.documents.length).toBeGreaterThanOrEqual(4);
    for (const doc of manifestOfA.documents) expect(files.get(doc.file)!.subarray(0, 5).toString()).toBe('%PDF-');
    const tables = manifestOfA.tables.map((t) => files.get(t.file)!.toString('utf8')).join('\n');
    const admin = await platform.admin();
    const secrets = [
      ...(await admin.query(`select password_hash as s from app.staff where tenant_id = $1 and password_hash is not null`, [A.id])).rows,
      ...(await admin.query(`select password_hash as s from app.member_accounts where tenant_id = $1`, [A.id])).rows,
      ...(await admin.query(`select channel_secret as s from app.line_channels where tenant_id = $1 union all select access_token from app.line_channels where tenant_id = $1`, [A.id])).rows,
      ...(await admin.query(`select encode(token_hash, 'hex') as s from app.staff_sessions where tenant_id = $1`, [A.id])).rows,
      ...(await admin.query(`select encode(secret, 'hex') as s from app.signing_keys where tenant_id = $1`, [A.id])).rows,
    ].map((r) => r.s as string);
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) expect(tables).not.toContain(secret);
    expect(tables).not.toContain('$argon2');
    // tenant_id is not a column of any file (an import gives the new tenant's); A's id shows only in its audit
    // rows' record of what a change wrote, which is A's history.
    for (const needle of [B.id, B.slug, B.ownerEmail]) expect(tables.split('\n').filter((l) => l.includes(needle)), needle).toEqual([]);
    expect(manifestOfA.tables.flatMap((t) => t.columns)).not.toContain('tenant_id');
    expect(tables).toContain(A.ownerEmail);
  });

  it('comes back whole in a fresh deployment, with every id, exports the same files again, and the studio works there', async () => {
    const admin = new pg.Client({ connectionString: inject('adminUrl') });
    await admin.connect();
    const database = `studiohive_archive_${randomUUID().slice(0, 8)}`;
    await admin.query(`create database ${database}`);
    const fresh = await startTestPlatform({ DATABASE_URL: withCredentials(inject('adminUrl'), { database }) });
    try {
      await fresh.runtime.migrate();
      const slug = uniqueSlug('moved');
      const report = await importTenantArchive(fresh.runtime, archiveOfA, { slug });
      expect(report.tables.reduce((n, t) => n + t.rows, 0)).toBe(manifestOfA.tables.reduce((n, t) => n + t.rows, 0));
      expect(report.staffToSetPassword).toContain(A.ownerEmail);
      expect(report.memberAccountsToSetPassword).toBeGreaterThanOrEqual(2);

      // Exported again: the same table files, byte for byte (their checksums), ids and all.
      const again = await exportTo(fresh.runtime, report.tenant.id, path.join(dir, 'again.zip'));
      expect(again.tables.map((t) => [t.table, t.rows, t.sha256])).toEqual(manifestOfA.tables.map((t) => [t.table, t.rows, t.sha256]));

      // The studio works: the owner sets a password (none came along) and signs in, numbers go on, a card is charged.
      const T = { host: `${slug}.${fresh.runtime.config.BASE_DOMAIN}` };
      const call = (method: 'GET' | 'POST', url: string, payload?: object, token?: string) =>
        fresh.call(T, { method, url, payload, token, headers: { 'idempotency-key': randomUUID() } });
      expect((await call('POST', '/api/auth/login', { email: A.ownerEmail, password: A.ownerPassword })).statusCode).toBe(401);
      expect((await call('POST', '/api/auth/password-reset', { email: A.ownerEmail })).statusCode).toBe(202);
      const tenant = { ...A, id: report.tenant.id, slug, host: T.host };
      const reset = tokenInMail(await latestMail(fresh, tenant, A.ownerEmail, 'staff_password_reset'));
      expect((await call('POST', '/api/auth/password-reset/confirm', { token: reset, password: 'a new password here' })).statusCode).toBe(204);
      const login = await call('POST', '/api/auth/login', { email: A.ownerEmail, password: 'a new password here' });
      expect(login.statusCode).toBe(200);
      const token = login.json().token as string;
      const before = await platform.admin().then((c) => c.query(`select max(member_number)::int as m from app.members where tenant_id = $1`, [A.id]));
      const member = await call('POST', '/api/members', { familyName: '新井', givenName: '一' }, token);
      expect(member.json().memberNumber).toBe(before.rows[0].m + 1);
      const lesson = (await call('GET', `/api/lessons/${A.lessonId}`, undefined, token)).json();
      expect(lesson.booked).toBe(2);
      const plans = (await call('GET', '/api/plans', undefined, token)).json().items as Array<{ id: string; kind: string }>;
      const lead = (await call('GET', '/api/members?q=山田太郎', undefined, token)).json().items[0];
      const sale = await call('POST', '/api/contracts', { memberId: lead.id, planId: plans.find((p) => p.kind === 'pack')!.id }, token);
      expect(sale.statusCode, sale.body).toBe(201);
      const lastNumber = (await (await platform.admin()).query(`select max(number)::int as n from app.invoices where tenant_id = $1`, [A.id])).rows[0].n;
      const invoice = (await call('GET', `/api/invoices/${sale.json().firstInvoice.id}`, undefined, token)).json();
      expect(invoice.number).toBe(`INV-${String(lastNumber + 1).padStart(6, '0')}`);
      const charged = await call('POST', `/api/invoices/${invoice.id}/charge`, undefined, token);
      expect(charged.statusCode, charged.body).toBe(200);
      expect((await call('GET', `/api/invoices/${invoice.id}`, undefined, token)).json().status).toBe('paid');
      // A lesson added there, and the lead booked onto it with a credit of the contract that came along.
      const date = new Date(Date.now() + 9 * 86_400_000).toISOString().slice(0, 10);
      const added = await call('POST', '/api/lessons', { lessonTypeId: lesson.lessonType.id, roomId: A.roomId, date, startTime: '20:00' }, token);
      expect(added.statusCode, added.body).toBe(201);
      const booked = await call('POST', `/api/lessons/${added.json().id}/reservations`, { memberId: lead.id }, token);
      expect(booked.statusCode, booked.body).toBe(201);
    } finally {
      await fresh.close();
      await dropTestDatabase(admin, database);
      await admin.end();
    }
  });

  it('refuses an archive changed after export, one that carries what an archive never does, and anything not an archive, changing nothing', async () => {
    const files = await entriesOf(archiveOfA);
    const members = manifestOfA.tables.find((t) => t.table === 'app.members')!;
    const tampered = new Map(files);
    tampered.set(members.file, Buffer.concat([files.get(members.file)!, Buffer.from(files.get(members.file)!.toString().split('\n')[0]!.replace(/"member_number":\d+/, '"member_number":999') + '\n')]));
    const smuggled = new Map(files);
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as ArchiveManifest;
    const sessions = Buffer.from('{"id":"00000000-0000-4000-8000-000000000001"}\n');
    smuggled.set('tables/app.staff_sessions.ndjson', sessions);
    manifest.tables.push({ table: 'app.staff_sessions', file: 'tables/app.staff_sessions.ndjson', columns: ['id'], rows: 1, sha256: createHash('sha256').update(sessions).digest('hex') });
    smuggled.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
    // Checksums that match, with rows PostgreSQL refuses: the load fails inside its transaction, after the
    // catalog row was made, which then goes again.
    const memberLines = files.get(members.file)!.toString().split('\n').filter(Boolean);
    const badRows = withTable(files, 'app.members', [...memberLines.slice(1), memberLines[0]!.replace(/"birth_date":[^,]*/, '"birth_date":"not a date"')]);
    const badPlan = withTable(files, 'app.members', memberLines, (m) => Object.assign(m.tenant, { plan: 'platinum' }));
    const cases: Array<[string, Map<string, Buffer> | Buffer, RegExp]> = [
      ['tampered', tampered, /does not match its checksum/],
      ['smuggled', smuggled, /never carries/],
      ['not-a-zip', Buffer.from('member_number,name\n1,x\n'), /not a readable archive/],
      ['bad-rows', badRows, /The rows of app\.members could not be loaded \(.*date.*\); nothing was imported/],
      ['bad-plan', badPlan, /has a plan this deployment does not accept \(platinum\)/],
    ];
    const count = await placementCount(platform.runtime);
    for (const [name, content, message] of cases) {
      const file = path.join(dir, `${name}.zip`);
      if (Buffer.isBuffer(content)) await writeFile(file, content);
      else await zipOf(content, file);
      const slug = uniqueSlug(name);
      const refused = await importTenantArchive(platform.runtime, file, { slug }).catch((e: unknown) => e);
      expect(refused, name).toBeInstanceOf(AppError);
      expect((refused as AppError).message, name).toMatch(message);
      expect(await tenantsRepo.bySlug(platform.runtime.databases.platform, slug), name).toBeUndefined();
    }
    // A slug in use is refused before anything is made.
    await expect(importTenantArchive(platform.runtime, archiveOfA, { slug: A.slug })).rejects.toThrow(/taken|使われて/);
    expect(await placementCount(platform.runtime)).toBe(count);
  });

  it('loads a credit lot whose uses went down to nothing, back up and down again, whatever order their ids sort in', async () => {
    const files = await entriesOf(archiveOfA);
    const ledger = manifestOfA.tables.find((t) => t.table === 'app.credit_ledger')!;
    const lines = files.get(ledger.file)!.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const grant = lines.find((l) => l.kind === 'grant')!;
    const consume = lines.find((l) => l.kind === 'consume')!;
    const lot = 'ffffffff-0000-4000-8000-000000000000';
    // One credit: used (…01), given back (…03, a cancellation in time), used again (…02). By id the second use
    // comes before the refund, and the lot would go below zero on the way.
    const crafted = [
      { ...grant, id: lot, amount: 1, grant_key: null },
      { ...consume, id: '00000000-0000-4000-8000-000000000001', lot_id: lot, amount: -1 },
      { ...consume, id: '00000000-0000-4000-8000-000000000002', lot_id: lot, amount: -1 },
      { ...consume, id: '00000000-0000-4000-8000-000000000003', lot_id: lot, amount: 1, kind: 'refund', reference_id: randomUUID() },
    ];
    const file = path.join(dir, 'ledger.zip');
    await zipOf(withTable(files, 'app.credit_ledger', [...lines, ...crafted].map((l) => JSON.stringify(l))), file);
    const report = await importTenantArchive(platform.runtime, file, { slug: uniqueSlug('ledger') });
    const admin = await platform.admin();
    const balance = await admin.query(`select remaining from app.credit_lot_balances where tenant_id = $1 and lot_id = $2`, [report.tenant.id, lot]);
    expect(balance.rows).toEqual([{ remaining: 0 }]);
  });

  it('loads an archive of an older schema, a column it lacks taking its default, and refuses one of a newer schema', async () => {
    const files = await entriesOf(archiveOfA);
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as ArchiveManifest;
    // As an export made before migration 0028 would be: plans without sold_online.
    const plans = manifest.tables.find((t) => t.table === 'app.plans')!;
    const older = files.get(plans.file)!.toString().split('\n').filter(Boolean).map((line) => {
      const { sold_online: _gone, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return `${JSON.stringify(rest)}\n`;
    }).join('');
    const olderBytes = Buffer.from(older);
    files.set(plans.file, olderBytes);
    Object.assign(plans, { columns: plans.columns.filter((c) => c !== 'sold_online'), sha256: createHash('sha256').update(olderBytes).digest('hex') });
    const version = platform.runtime.directory.schemaVersion;
    const write = async (schemaVersion: number) => {
      const copy = new Map(files);
      copy.set('manifest.json', Buffer.from(JSON.stringify({ ...manifest, schemaVersion })));
      const file = path.join(dir, `schema-${schemaVersion}.zip`);
      await zipOf(copy, file);
      return file;
    };
    const newer = uniqueSlug('newer');
    await expect(importTenantArchive(platform.runtime, await write(version + 1), { slug: newer })).rejects.toThrow(/newer than this deployment’s|より新しい/);
    expect(await tenantsRepo.bySlug(platform.runtime.databases.platform, newer)).toBeUndefined();
    const report = await importTenantArchive(platform.runtime, await write(27), { slug: uniqueSlug('older') });
    // The plans were not sold online, the column's default: exported again, every table file is the original's.
    const again = await exportTo(platform.runtime, report.tenant.id, path.join(dir, 'older-again.zip'));
    expect(again.tables.map((t) => t.sha256)).toEqual(manifestOfA.tables.map((t) => t.sha256));
  });

  it('is the owner’s to download from Settings, once per 10 minutes, each download in the audit log', async () => {
    const T = await platform.createTenant();
    const download = (token: string, lang = 'ja') => platform.call(T, { method: 'POST', url: '/api/settings/archive', token, headers: { 'x-studiohive-csrf': '1', 'accept-language': lang } });
    const first = await download(T.ownerToken);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['content-type']).toBe('application/zip');
    const file = path.join(dir, 'download.zip');
    await writeFile(file, first.rawPayload);
    const manifest = JSON.parse((await entriesOf(file)).get('manifest.json')!.toString()) as ArchiveManifest;
    expect(manifest.tenant.slug).toBe(T.slug);
    expect(manifest.tables.find((t) => t.table === 'app.staff')!.rows).toBe(1);
    const again = await download(T.ownerToken, 'en');
    expect(again.statusCode).toBe(429);
    // Two at once in another studio: one is made, the other waits for it and is refused.
    const U = await platform.createTenant();
    const both = await Promise.all([1, 2].map(() => platform.call(U, { method: 'POST', url: '/api/settings/archive', token: U.ownerToken, headers: { 'x-studiohive-csrf': '1' } })));
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 429]);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(500);
    expect(again.json().detail).toMatch(/^The studio’s data was downloaded less than 10 minutes ago: try again in 10 minutes$/);
    const admin = await platform.admin();
    const audit = await admin.query(`select outcome, status from app.audit_log where tenant_id = $1 and route = '/api/settings/archive' order by at`, [T.id]);
    expect(audit.rows).toEqual([{ outcome: 'done', status: 200 }, { outcome: 'refused', status: 429 }]);
    // Only the owner: a manager's key is refused.
    const key = (await platform.call(T, { method: 'POST', url: '/api/api-keys', token: T.ownerToken, payload: { name: 'books', role: 'manager' } })).json().key as string;
    expect((await download(key)).statusCode).toBe(403);
  });

  it('does it from the CLI: a studio exported, and imported as a silo of its own under a new slug', async () => {
    const file = path.join(dir, 'cli.zip');
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'tenants', ...args], {
        cwd: path.resolve(import.meta.dirname, '../../..'),
        env: { ...process.env, ...TEST_ENV, ...platform.databaseEnv },
      });
    const exported = await cli(['export', B.slug, '--out', file, '--no-documents']);
    expect(exported.stdout).toContain(`written to ${file}`);
    const slug = uniqueSlug('silo');
    const imported = await cli(['import', file, '--slug', slug, '--tier', 'silo']);
    expect(imported.stdout).toContain(`into ${slug} (silo, silo-${slug})`);
    expect(imported.stdout).toContain(B.ownerEmail);
    const moved = await platform.runtime.tenants.get(slug);
    expect(moved).toMatchObject({ status: 'active', tier: 'silo', placementId: `silo-${slug}`, displayName: `Studio ${B.slug}` });
    expect((await readFile(file)).subarray(0, 2).toString()).toBe('PK');
  });
});
