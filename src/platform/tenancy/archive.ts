import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import { sql, type RawBuilder } from 'kysely';
import yazl from 'yazl';
import yauzl from 'yauzl';
import { z } from 'zod';
import { deleteOrder, TENANT_SCHEMA, tenantTables } from '../db/catalog.js';
import { inTenantTransaction, type Tx } from '../db/databases.js';
import type { Tenant } from '../db/types.js';
import { AppError } from '../errors.js';
import { asLocale, text, type Locale } from '../i18n.js';
import { limitsSchema, platformPlanNames } from './plans.js';
import type { Runtime } from '../runtime.js';
import type { TenantContext } from './context.js';
import { policyOf, type DataTable } from './archive-policy.js';
import type { AdmitInput } from './tenants.service.js';

/*
 * A studio's archive: one zip with a file of NDJSON per table (a row per line, its columns in table order, the
 * rows in primary-key order), the invoices' PDFs, and manifest.json (the schema version, and each file's row count
 * and SHA-256). The rows are read as the app role with the tenant set, so RLS proves they are the studio's own, in
 * one repeatable-read snapshot. tenant_id is left out (an archive is one tenant's by definition, and an import
 * gives it the new tenant's), so exporting an imported studio again gives the same files, byte for byte.
 * What is left out, and why, is archive-policy.ts. docs/tenant-archive.md has the rest.
 */

export const ARCHIVE_FORMAT = 'studiohive-tenant-archive';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/);
const checksum = z.string().regex(/^[0-9a-f]{64}$/);

export const archiveManifest = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.literal(1),
  /** The tenant migrations its tables had (their count): an import needs a deployment at least this far. */
  schemaVersion: z.number().int().positive(),
  exportedAt: z.string(),
  tenant: z.object({
    slug: z.string(),
    displayName: z.string(),
    plan: z.string(),
    limits: z.record(z.string(), z.number()),
    timezone: z.string(),
    locale: z.string(),
    tier: z.enum(['pool', 'silo']),
  }),
  tables: z.array(z.object({ table: z.string().regex(/^app\.[a-z_][a-z0-9_]*$/), file: z.string(), columns: z.array(identifier), rows: z.number().int().min(0), sha256: checksum })),
  documents: z.array(z.object({ file: z.string(), bytes: z.number().int().min(0), sha256: checksum })),
  leftOut: z.array(z.object({ table: z.string(), kind: z.string(), why: z.string() })),
  blanked: z.array(z.object({ table: z.string(), column: z.string() })),
});
export type ArchiveManifest = z.infer<typeof archiveManifest>;

const MANIFEST = 'manifest.json';
const MANIFEST_MAX_BYTES = 64 * 1024 * 1024;
const FETCH = 2_000;
const STAGE = 5_000;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Rows in a chunk of NDJSON: a JSON line holds no raw newline (JSON escapes it), so its newlines count them. */
function newlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n += 1;
  return n;
}

/** A policy for every table, or the export refuses: an unclassified table could hold secrets. */
function policyFor(table: string) {
  const policy = policyOf(table);
  if (!policy) throw new Error(`${table} has no archive policy: classify it in src/platform/tenancy/archive-policy.ts`);
  return policy;
}

/** A table as its rows are written: its stored columns in table order, and its primary key, both without tenant_id. */
export interface TableShape {
  columns: string[];
  key: string[];
}

/**
 * Every tenant table's shape, in one query: generated columns are computed again where rows are loaded, and
 * tenant_id is the loading tenant's. Rows are ordered by the key (or by every column, for a table without one).
 */
export async function tableShapes(db: Tx): Promise<Map<string, TableShape>> {
  const { rows } = await sql<{ name: string; columns: string[]; key: string[] }>`
    select c.oid::regclass::text as name,
           array(select a.attname::text from pg_attribute a
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attname <> 'tenant_id'
                  order by a.attnum) as columns,
           array(select a.attname::text
                   from pg_index i cross join lateral unnest(i.indkey::int2[]) with ordinality k(attnum, n)
                   join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                  where i.indrelid = c.oid and i.indisprimary and a.attname <> 'tenant_id'
                  order by k.n) as key
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${TENANT_SCHEMA} and c.relkind in ('r', 'p')`.execute(db);
  return new Map(rows.map((r) => [r.name, { columns: r.columns, key: r.key.length > 0 ? r.key : r.columns }]));
}

const ident = (name: string) => sql.ref(name);
const list = (names: string[]) => sql.join(names.map(ident));

/** UTC and ISO: the same rows give the same text (and bytes) whatever the server's or the session's settings. */
export async function rowsAsExactText(trx: Tx): Promise<void> {
  await sql`select set_config('timezone', 'UTC', true), set_config('datestyle', 'ISO, YMD', true), set_config('intervalstyle', 'iso_8601', true)`.execute(trx);
}

/** The table's rows as NDJSON, a chunk per fetch, through a cursor (a million rows never sit in memory). */
export async function* ndjsonOf(db: Tx, table: string, columns: string[], order: string[], knownRows?: number): AsyncIterable<Buffer> {
  const rows = sql`select row_to_json(t)::text as line from (select ${list(columns)} from ${sql.table(table)} order by ${list(order)}) t`;
  const chunk = (lines: Array<{ line: string }>) => Buffer.from(lines.map((r) => `${r.line}\n`).join(''));
  // Rows counted beforehand in the same snapshot (a move) and few: one statement, not a cursor's three.
  if (knownRows !== undefined && knownRows < FETCH) {
    const { rows: lines } = await sql<{ line: string }>`${rows}`.execute(db);
    if (lines.length > 0) yield chunk(lines);
    return;
  }
  await sql`declare archive_rows no scroll cursor for ${rows}`.execute(db);
  for (;;) {
    const { rows: lines } = await sql<{ line: string }>`fetch ${sql.lit(FETCH)} from archive_rows`.execute(db);
    if (lines.length > 0) yield chunk(lines);
    if (lines.length < FETCH) break;
  }
  await sql`close archive_rows`.execute(db);
}

/**
 * Adds one file to the zip from chunks, and resolves with its size and checksum once the zip has taken all of it
 * (the zip reads its entries in turn, as its output is written).
 */
function addFile(zip: yazl.ZipFile, path: string, chunks: AsyncIterable<Buffer>, written: Promise<void>) {
  const hash = createHash('sha256');
  let bytes = 0;
  let lines = 0;
  const done = new Promise<{ bytes: number; lines: number; sha256: string }>((resolve, reject) => {
    const source = Readable.from((async function* () {
      try {
        for await (const chunk of chunks) {
          hash.update(chunk);
          bytes += chunk.length;
          lines += newlines(chunk);
          yield chunk;
        }
        resolve({ bytes, lines, sha256: hash.digest('hex') });
      } catch (error) {
        reject(error);
        throw error;
      }
    })());
    // yazl does not listen for its sources' errors: unheard, a failed read (a cancelled query) would end the
    // process. The failure is the export's answer, and the zip's output is ended with it.
    source.on('error', (error) => {
      reject(error);
      (zip.outputStream as unknown as Readable).destroy(error);
    });
    zip.addReadStream(source, path);
  });
  // An output that fails stops the zip from reading: the failure is the answer, not a wait forever.
  return Promise.race([done, written.then(() => Promise.reject(new Error(`the archive ended before ${path} was written`)))]);
}

export interface ExportOptions {
  /** The language of the documents (the invoices' PDFs); the tables are the same in any. */
  locale: Locale;
  /** false: tables only, no PDFs (faster, for moving a studio). */
  documents?: boolean;
}

/** Writes the studio's archive to `out` and returns its manifest. */
export async function writeTenantArchive(runtime: Runtime, tenant: Tenant, out: Writable, opts: ExportOptions): Promise<ArchiveManifest> {
  const zip = new yazl.ZipFile();
  const written = pipeline(zip.outputStream, out);
  written.catch(() => undefined);
  const db = await runtime.directory.dbFor(tenant);
  const now = runtime.clock.now();
  const manifest = await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${tenant.id}, true)`.execute(trx);
    await rowsAsExactText(trx);
    const tables: ArchiveManifest['tables'] = [];
    const leftOut: ArchiveManifest['leftOut'] = [];
    const blanked: ArchiveManifest['blanked'] = [];
    const shapes = await tableShapes(trx);
    for (const { name } of await tenantTables(trx)) {
      const policy = policyFor(name);
      if (policy.kind !== 'data') {
        leftOut.push({ table: name, kind: policy.kind, why: policy.why });
        continue;
      }
      const secrets = Object.keys(policy.secretColumns ?? {});
      for (const column of secrets) blanked.push({ table: name, column });
      const shape = shapes.get(name)!;
      const columns = shape.columns.filter((c) => !secrets.includes(c));
      const file = `tables/${name}.ndjson`;
      const added = await addFile(zip, file, ndjsonOf(trx, name, columns, shape.key), written);
      tables.push({ table: name, file, columns, rows: added.lines, sha256: added.sha256 });
    }
    const documents: ArchiveManifest['documents'] = [];
    const hook = runtime.composition.hooks.archiveDocuments;
    if (hook && opts.documents !== false) {
      const ctx: TenantContext = { tenant, db: trx, principal: null, now, request: { requestId: 'archive', ip: '', userAgent: null, locale: opts.locale } };
      for await (const doc of hook(ctx)) {
        zip.addBuffer(doc.bytes, doc.path);
        documents.push({ file: doc.path, bytes: doc.bytes.length, sha256: sha256(doc.bytes) });
      }
    }
    return archiveManifest.parse({
      format: ARCHIVE_FORMAT,
      version: 1,
      schemaVersion: runtime.directory.schemaVersion,
      exportedAt: now.toISOString(),
      tenant: {
        slug: tenant.slug, displayName: tenant.display_name, plan: tenant.plan, limits: tenant.limits as Record<string, number>,
        timezone: tenant.timezone, locale: tenant.locale, tier: tenant.tier,
      },
      tables, documents, leftOut, blanked,
    } satisfies ArchiveManifest);
  });
  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), MANIFEST);
  zip.end();
  await written;
  return manifest;
}

/** An archive's entries, read from its file (a zip is read from its directory at the end). */
class ArchiveFile {
  private constructor(private readonly zip: yauzl.ZipFile, readonly entries: Map<string, yauzl.Entry>) {}

  static async open(path: string): Promise<ArchiveFile> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, opened) => (error ? reject(error) : resolve(opened))),
    ).catch(() => refuse('platform.archive.unreadable'));
    const entries = new Map<string, yauzl.Entry>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    }).catch(() => {
      zip.close();
      refuse('platform.archive.unreadable');
    });
    return new ArchiveFile(zip, entries);
  }

  /** One file's bytes as stored; a damaged entry is an unreadable archive, not a crash. */
  async stream(name: string): Promise<Readable> {
    const entry = this.entries.get(name);
    if (!entry) refuse('platform.archive.missing_file', { file: name });
    const stream = await new Promise<Readable>((resolve, reject) => this.zip.openReadStream(entry, (error, opened) => (error ? reject(error) : resolve(opened))))
      .catch(() => refuse('platform.archive.unreadable'));
    return stream;
  }

  async bytes(name: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.stream(name)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The file's lines, a batch at a time. */
  async *lines(name: string, batch: number): AsyncIterable<string[]> {
    let lines: string[] = [];
    for await (const line of createInterface({ input: await this.stream(name), crlfDelay: Infinity })) {
      lines.push(line);
      if (lines.length >= batch) {
        yield lines;
        lines = [];
      }
    }
    if (lines.length > 0) yield lines;
  }

  close() {
    this.zip.close();
  }
}

function refuse(key: Parameters<typeof text>[0], values: Record<string, string | number> = {}): never {
  throw new AppError('unprocessable', text(key, values));
}

/** The archive's manifest, checked against every file it names: a refused archive has changed nothing yet. */
async function verifiedManifest(archive: ArchiveFile): Promise<ArchiveManifest> {
  let raw: unknown;
  // A manifest lists files, not rows: a few hundred kilobytes even with every invoice's PDF.
  if ((archive.entries.get(MANIFEST)?.uncompressedSize ?? 0) > MANIFEST_MAX_BYTES) refuse('platform.archive.not_an_archive');
  try {
    raw = JSON.parse((await archive.bytes(MANIFEST)).toString('utf8'));
  } catch (error) {
    if (error instanceof AppError) throw error;
    refuse('platform.archive.unreadable');
  }
  const parsed = archiveManifest.safeParse(raw);
  if (!parsed.success) refuse('platform.archive.not_an_archive');
  const manifest = parsed.data;
  const files = [...manifest.tables, ...manifest.documents];
  for (const entry of files) {
    const hash = createHash('sha256');
    let lines = 0;
    try {
      for await (const chunk of await archive.stream(entry.file)) {
        hash.update(chunk as Buffer);
        lines += newlines(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      refuse('platform.archive.unreadable');
    }
    if (hash.digest('hex') !== entry.sha256) refuse('platform.archive.checksum', { file: entry.file });
    if ('rows' in entry && lines !== entry.rows) refuse('platform.archive.row_count', { file: entry.file, rows: entry.rows, lines });
  }
  for (const { table, columns } of manifest.tables) {
    const policy = policyOf(table);
    // What an export never writes is never read: a secret smuggled into an archive stays out of the studio.
    if (!policy || policy.kind !== 'data') refuse('platform.archive.table_not_archived', { table });
    const secret = columns.find((c) => c === 'tenant_id' || c in (policy.secretColumns ?? {}));
    if (secret) refuse('platform.archive.secret_column', { table, column: secret });
  }
  return manifest;
}

/**
 * The studio as the manifest describes it, checked as a new tenant's fields are: an archive is a file its owner
 * may have edited, so its plan and limits are ones this deployment offers, its zone one the runtime knows.
 */
function studioOf(t: ArchiveManifest['tenant']) {
  const plan = z.enum(platformPlanNames).safeParse(t.plan);
  if (!plan.success) refuse('platform.archive.bad_studio', { field: 'plan', value: t.plan });
  const limits = limitsSchema.partial().strict().safeParse(t.limits);
  if (!limits.success) refuse('platform.archive.bad_studio', { field: 'limits', value: JSON.stringify(t.limits) });
  try {
    new Intl.DateTimeFormat('en', { timeZone: t.timezone });
  } catch {
    refuse('platform.archive.bad_studio', { field: 'timezone', value: t.timezone });
  }
  return { ...t, plan: plan.data, limits: limits.data, locale: asLocale(t.locale) };
}

export interface ImportOptions {
  slug?: string;
  displayName?: string;
  placementId?: string;
  tier?: 'pool' | 'silo';
  cluster?: string;
}

export interface ImportReport {
  tenant: { id: string; slug: string; placementId: string; tier: string };
  tables: Array<{ table: string; rows: number }>;
  /** Staff who sign in again only after choosing a password ("forgot password", or an invitation). */
  staffToSetPassword: string[];
  /** Member accounts likewise: their members choose a password through "forgot password". */
  memberAccountsToSetPassword: number;
  leftOut: ArchiveManifest['leftOut'];
}

/**
 * Loads an archive as a new tenant (under its slug or a new one) in any placement, with every id kept. The
 * archive is checked first; the tenant is then made suspended, its rows are loaded in one transaction, and it is
 * opened. A refusal or failure at any point leaves nothing: the catalog row is removed again.
 */
export async function importTenantArchive(runtime: Runtime, file: string, opts: ImportOptions = {}): Promise<ImportReport> {
  const archive = await ArchiveFile.open(file);
  try {
    const manifest = await verifiedManifest(archive);
    // Before anything is made: a silo's database, or the catalog row.
    if (manifest.schemaVersion > runtime.directory.schemaVersion) {
      refuse('platform.archive.newer_deployment', { archive: manifest.schemaVersion, version: runtime.directory.schemaVersion });
    }
    const t = studioOf(manifest.tenant);
    const input: AdmitInput = {
      slug: opts.slug ?? t.slug,
      displayName: opts.displayName ?? t.displayName,
      tier: opts.tier ?? (opts.placementId ? (await runtime.tenants.placement(opts.placementId)).tier : 'pool'),
      plan: t.plan,
      limits: t.limits,
      locale: t.locale,
      timezone: t.timezone,
      placementId: opts.placementId,
      cluster: opts.cluster,
    };
    let report: Omit<ImportReport, 'tenant'> | undefined;
    const tenant = await runtime.tenants.admit(input, async (db, tenant, placement) => {
      if ((placement.schema_version ?? 0) < manifest.schemaVersion) {
        refuse('platform.archive.newer_schema', { archive: manifest.schemaVersion, placement: placement.id, version: placement.schema_version ?? 0 });
      }
      report = await inTenantTransaction(db, tenant.id, (trx) => loadTables(trx, archive, manifest));
    });
    return { tenant: { id: tenant.id, slug: tenant.slug, placementId: tenant.placement_id, tier: tenant.tier }, ...report! };
  } finally {
    archive.close();
  }
}

async function loadTables(trx: Tx, archive: ArchiveFile, manifest: ArchiveManifest): Promise<Omit<ImportReport, 'tenant'>> {
  const present = new Map((await tenantTables(trx)).map((t) => [t.name, t]));
  const byTable = new Map(manifest.tables.map((t) => [t.table, t]));
  for (const { table } of manifest.tables) if (!present.has(table)) refuse('platform.archive.unknown_table', { table });
  // Parents before children, so every foreign key finds its row.
  const order = deleteOrder([...present.values()]).reverse();
  const load = await StagedLoad.open(trx);
  const loaded: ImportReport['tables'] = [];
  for (const table of order) {
    const policy = policyOf(table);
    const entry = byTable.get(table);
    if (!entry || !policy || policy.kind !== 'data') continue;
    const stored = load.shapes.get(table)!.columns;
    const unknown = entry.columns.find((c) => !stored.includes(c));
    if (unknown) refuse('platform.archive.unknown_column', { table, column: unknown });
    const rows = await rowsRefusedClearly(table, () => load.table(table, entry.columns, policy, archive.lines(entry.file, STAGE)));
    if (rows !== entry.rows) refuse('platform.archive.row_count', { file: entry.file, rows: entry.rows, lines: rows });
    loaded.push({ table, rows });
  }
  await load.finish();
  const staff = await sql<{ email: string }>`select email from app.staff where status = 'active' order by email`.execute(trx);
  const accounts = await sql<{ n: number }>`select count(*)::int as n from app.member_accounts where password_hash = ''`.execute(trx);
  return { tables: loaded, staffToSetPassword: staff.rows.map((r) => r.email), memberAccountsToSetPassword: accounts.rows[0]!.n, leftOut: manifest.leftOut };
}

/**
 * Loads tables into one transaction, with every id kept, through a staging table: each batch of NDJSON lines is
 * one statement into the stage, then the table is one statement from it (rows in load order). Columns that a later
 * table's insert trigger rewrites (policy.restoreAfterLoad) are put back by finish(), once every table is in.
 * The archive's import and a tier move (moves.ts) load through it.
 */
export class StagedLoad {
  private readonly restores: Array<{ table: string; columns: string[]; key: string[]; stage: string }> = [];

  private constructor(
    private readonly trx: Tx,
    /** The shapes of the tables loaded into. */
    readonly shapes: Map<string, TableShape>,
  ) {}

  static async open(trx: Tx): Promise<StagedLoad> {
    await rowsAsExactText(trx);
    await sql`create temp table archive_stage (ord bigint generated always as identity, doc jsonb not null) on commit drop`.execute(trx);
    return new StagedLoad(trx, await tableShapes(trx));
  }

  /** Loads one table's rows, given as batches of NDJSON lines, and returns how many went in. */
  async table(table: string, columns: string[], policy: DataTable, batches: AsyncIterable<string[]>): Promise<number> {
    const trx = this.trx;
    const next = nonEmpty(batches);
    const first = await next();
    // An empty table costs nothing more (most of a small studio's are).
    if (!first) return 0;
    const second = await next();
    let source: RawBuilder<unknown>;
    if (!second) {
      // One batch (a table of fewer rows than a batch): straight from its text, no stage.
      source = sql`(select line::jsonb as doc, ord from string_to_table(${first.join('\n')}::text, E'\\n') with ordinality as l(line, ord))`;
    } else {
      const stage = (lines: string[]) =>
        sql`insert into archive_stage (doc) select line::jsonb from string_to_table(${lines.join('\n')}::text, E'\\n') as line`.execute(trx);
      await sql`truncate archive_stage`.execute(trx);
      await stage(first);
      await stage(second);
      for (let lines = await next(); lines; lines = await next()) await stage(lines);
      source = sql`archive_stage`;
    }
    const rows = await insertStaged(trx, table, columns, policy, source);
    if (policy.restoreAfterLoad) {
      const stage = `archive_keep_${this.restores.length}`;
      await sql`create temp table ${sql.id(stage)} on commit drop as select doc from ${source} s`.execute(trx);
      this.restores.push({ table, columns: policy.restoreAfterLoad, key: this.shapes.get(table)!.key, stage });
    }
    return rows;
  }

  async finish(): Promise<void> {
    for (const r of this.restores) await restoreColumns(this.trx, r);
  }
}

/** The batches one at a time, empty ones skipped; undefined once they are done. */
function nonEmpty(batches: AsyncIterable<string[]>): () => Promise<string[] | undefined> {
  const it = batches[Symbol.asyncIterator]();
  return async () => {
    for (;;) {
      const { done, value } = await it.next();
      if (done) return undefined;
      if (value.length > 0) return value;
    }
  };
}

/**
 * Rows PostgreSQL refuses (a line that is no JSON, a value of the wrong type, a broken rule or reference: SQLSTATE
 * classes 22 and 23) are the archive's fault: a refusal naming the table and PostgreSQL's words, not a crash.
 */
async function rowsRefusedClearly<T>(table: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (typeof code === 'string' && /^2[23]/.test(code)) refuse('platform.archive.bad_rows', { table, reason: String(message) });
    throw error;
  }
}

/**
 * One statement for the whole table, so a row that references another of its table (a family's lead) finds it
 * whatever their order: foreign keys are checked at the end of the statement.
 */
async function insertStaged(trx: Tx, table: string, columns: string[], policy: DataTable, staged: RawBuilder<unknown>): Promise<number> {
  const secrets = Object.entries(policy.secretColumns ?? {});
  const targets = [...columns, ...secrets.map(([c]) => c)];
  const values = [...columns.map((c) => sql`(r).${ident(c)}`), ...secrets.map(([, value]) => sql.raw(value))];
  const order = policy.loadOrder ? sql`${sql.raw(policy.loadOrder)}, ord` : sql`ord`;
  const result = await sql`
    insert into ${sql.table(table)} (tenant_id, ${list(targets)})
    select app.current_tenant_id(), ${sql.join(values)}
      from (select jsonb_populate_record(null::${sql.table(table)}, doc) as r from ${staged} staged order by ${order}) s`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/** Puts back what an insert trigger of a later table rewrote (a member's status, from its events) as archived. */
async function restoreColumns(trx: Tx, r: { table: string; columns: string[]; key: string[]; stage: string }) {
  // The member-status guard lets the status change only from its history; this is that history, as it was.
  await sql`select set_config('app.status_from_history', 'on', true)`.execute(trx);
  await sql`
    update ${sql.table(r.table)} t set ${sql.join(r.columns.map((c) => sql`${ident(c)} = (s.r).${ident(c)}`))}
      from (select jsonb_populate_record(null::${sql.table(r.table)}, doc) as r from ${sql.table(r.stage)}) s
     where ${sql.join(r.key.map((c) => sql`t.${ident(c)} = (s.r).${ident(c)}`), sql` and `)}`.execute(trx);
  await sql`select set_config('app.status_from_history', 'off', true)`.execute(trx);
}

