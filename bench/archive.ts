/**
 * A studio's archive (section 12, issue 19): one large studio (the reports bench's year of data, written in bulk)
 * exported with `writeTenantArchive` (what `studiohive tenants export --no-documents` runs) and imported as a new
 * tenant with `importTenantArchive` (what `tenants import` runs), side by side with PostgreSQL doing the same
 * rows its own fastest way: `\copy` of each table's rows through psql (the export's floor), and one
 * `INSERT … SELECT` per table inside the database with triggers and foreign-key checks off (the import's floor).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openAppRuntime } from '../src/app/composition.js';
import { todayIn } from '../src/platform/calendar.js';
import { createLogger } from '../src/platform/runtime.js';
import { importTenantArchive, writeTenantArchive, type ArchiveManifest } from '../src/platform/tenancy/archive.js';
import { tenantsRepo } from '../src/platform/tenancy/tenants.repo.js';
import { startBenchCluster, withAdmin } from './cluster.js';
import { createPooledTenants, runtimeConfig, type DensitySettings } from './density.js';
import { WORK_DIR, fmt, log, table, sectionRun, unmeasuredSection } from './lib.js';
import { seed, ZONE, type ReportsBenchSettings } from './reports.js';

export interface ArchiveBenchSettings {
  members: number;
  daysBack: number;
  daysAhead: number;
  capacity: number;
}

interface Timed {
  seconds: number;
}

export type ArchiveOutcome =
  | { skipped: string }
  | {
      settings: ArchiveBenchSettings;
      rows: number;
      tables: number;
      /** The largest tables of the studio, by rows. */
      largest: Array<{ table: string; rows: number }>;
      export: Timed & { bytes: number };
      copyOut: (Timed & { bytes: number }) | { skipped: string };
      import: Timed;
      insertSelect: Timed;
      /** The imported studio exported again: its table files have the first export's checksums. */
      sameFiles: boolean;
      cores: number;
      loadAverage: { start: number[]; end: number[] };
      date: string;
      seconds: number;
    };

const psql = () => {
  const found = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).stdout.trim();
  return found || null;
};

/** PostgreSQL's own COPY of the archive's rows (the same columns, rows and order), a file per table, by one psql. */
function copyOut(adminUrl: string, tenantId: string, manifest: ArchiveManifest, dir: string): (Timed & { bytes: number }) | { skipped: string } {
  const bin = psql();
  if (!bin) return { skipped: 'psql is not installed (Debian: postgresql-client)' };
  const files = manifest.tables.map((_, i) => path.join(dir, `copy-${i}.tsv`));
  const script = manifest.tables
    .map((t, i) => `\\copy (select ${t.columns.map((c) => `"${c}"`).join(', ')} from ${t.table} where tenant_id = '${tenantId}' order by 1) to '${files[i]}'`)
    .join('\n');
  const t0 = performance.now();
  execFileSync(bin, [adminUrl, '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'inherit'] });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, bytes: files.reduce((n, f) => n + statSync(f).size, 0) };
}

/** The same rows written by PostgreSQL itself under another tenant id, in one transaction rolled back. */
async function insertSelect(adminUrl: string, tenantId: string, manifest: ArchiveManifest): Promise<Timed> {
  return withAdmin(adminUrl, async (c) => {
    await c.query('begin');
    await c.query(`set local session_replication_role = replica`);
    const other = (await c.query<{ id: string }>('select gen_random_uuid() as id')).rows[0]!.id;
    const t0 = performance.now();
    for (const t of manifest.tables) {
      const columns = t.columns.map((col) => `"${col}"`).join(', ');
      await c.query(`insert into ${t.table} (tenant_id, ${columns}) select $1, ${columns} from ${t.table} where tenant_id = $2`, [other, tenantId]);
    }
    const seconds = (performance.now() - t0) / 1000;
    await c.query('rollback');
    return { seconds };
  });
}

export async function runArchiveBench(port: number, s: ArchiveBenchSettings, d: DensitySettings): Promise<ArchiveOutcome> {
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const cluster = await startBenchCluster('archive', port, d.pgPassword);
  try {
    const { creds } = await createPooledTenants(cluster, { ...d, tenants: 1, passwordSample: 0 });
    const reports: ReportsBenchSettings = { studios: 1, members: s.members, daysBack: s.daysBack, daysAhead: s.daysAhead, capacity: s.capacity, connections: [], warmupS: 0, roundS: 0, rounds: 0 };
    await seed(cluster, creds, reports, todayIn(ZONE));
    const runtime = await openAppRuntime(runtimeConfig(cluster.adminUrl, d), createLogger({ LOG_LEVEL: 'warn' }));
    try {
      const tenant = (await tenantsRepo.byId(runtime.databases.platform, creds[0]!.id))!;
      const file = path.join(WORK_DIR, 'archive.zip');
      const e0 = performance.now();
      const manifest = await writeTenantArchive(runtime, tenant, createWriteStream(file), { locale: 'ja', documents: false });
      const exported = { seconds: (performance.now() - e0) / 1000, bytes: (await stat(file)).size };
      const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
      log(`archive: exported ${rows} rows in ${fmt(exported.seconds, 1)} s, ${fmt(exported.bytes / 1e6, 1)} MB`);
      const copied = copyOut(cluster.adminUrl, tenant.id, manifest, WORK_DIR);
      if (!('skipped' in copied)) log(`archive: psql \\copy of the same rows in ${fmt(copied.seconds, 1)} s`);
      const i0 = performance.now();
      const imported = await importTenantArchive(runtime, file, { slug: 'archive-bench-copy' });
      const importSeconds = (performance.now() - i0) / 1000;
      log(`archive: imported in ${fmt(importSeconds, 1)} s`);
      const floor = await insertSelect(cluster.adminUrl, tenant.id, manifest);
      log(`archive: INSERT … SELECT of the same rows in ${fmt(floor.seconds, 1)} s`);
      const again = await writeTenantArchive(runtime, (await tenantsRepo.byId(runtime.databases.platform, imported.tenant.id))!, createWriteStream(path.join(WORK_DIR, 'archive-again.zip')), { locale: 'ja', documents: false });
      const sameFiles = JSON.stringify(again.tables.map((t) => t.sha256)) === JSON.stringify(manifest.tables.map((t) => t.sha256));
      return {
        settings: s,
        rows,
        tables: manifest.tables.length,
        largest: [...manifest.tables].sort((a, b) => b.rows - a.rows).slice(0, 6).map((t) => ({ table: t.table, rows: t.rows })),
        export: exported,
        copyOut: copied,
        import: { seconds: importSeconds },
        insertSelect: floor,
        sameFiles,
        cores: os.cpus().length,
        ...sectionRun(t0, loadStart),
      };
    } finally {
      await runtime.close();
    }
  } finally {
    await cluster.stop();
  }
}

const n0 = (v: number) => fmt(v, 0);
const ratio = (a: number, b: number) => `${fmt(a / b, 1)}×`;

export function archiveHeadline(r: ArchiveOutcome | undefined): string[] {
  if (!r || 'skipped' in r) return [];
  const copy = 'skipped' in r.copyOut ? '' : ` (${ratio(r.export.seconds, r.copyOut.seconds)} psql's \`\\copy\` of the same rows)`;
  return [
    `- A studio's archive at ${n0(r.settings.members)} members, ${n0(r.rows)} rows: export **${fmt(r.export.seconds, 1)} s**${copy}, ${fmt(r.export.bytes / 1e6, 1)} MB; import **${fmt(r.import.seconds, 1)} s** (${ratio(r.import.seconds, r.insertSelect.seconds)} an \`INSERT … SELECT\` of the same rows); exported again, ${r.sameFiles ? 'the same table files' : '**different table files**'}.`,
  ];
}

export function renderArchiveSection(r: ArchiveOutcome | undefined, n: number): string {
  const heading = `## ${n}. A studio's archive: export and import`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const s = r.settings;
  const out: string[] = [heading];
  out.push(`### Method

- **Data.** A bench cluster of its own (\`archive\`) with one studio of ${n0(s.members)} members and ${s.daysBack} days of the reports bench's data (timetable, reservations of up to ${s.capacity} a lesson, check-ins, status history, contracts, monthly invoices), written in bulk: ${n0(r.rows)} rows in ${r.tables} tables.
- **Export.** \`writeTenantArchive\` as \`studiohive tenants export --no-documents\` runs it, from the bench process: every table as the app role under RLS in one repeatable-read snapshot, each row as JSON through a cursor, zipped to a file. **Baseline:** psql's \`\\copy\` of the same columns and rows, table by table (one psql for them all), each to a file: PostgreSQL's own fastest way out.
- **Import.** \`importTenantArchive\` as \`studiohive tenants import\` runs it, into the same pool cell under a new slug: checksums first, then every table in one transaction. **Baseline:** one \`INSERT … SELECT\` per table of the same rows under another tenant id, inside the database, with triggers and foreign-key checks off (\`session_replication_role = replica\`), rolled back: the floor of writing those rows.
- The invoices' PDFs are left out of both (\`--no-documents\`): they are rendered one by one, and would measure PDFKit.`);
  out.push('### Results');
  const copy = r.copyOut;
  out.push(
    table(
      ['', 'Time', 'Baseline', 'Ratio', 'Size'],
      [
        ['Export', `**${fmt(r.export.seconds, 1)} s**`, 'skipped' in copy ? copy.skipped : `${fmt(copy.seconds, 1)} s (psql \\copy)`, 'skipped' in copy ? '' : ratio(r.export.seconds, copy.seconds), `${fmt(r.export.bytes / 1e6, 1)} MB zip${'skipped' in copy ? '' : ` (${fmt(copy.bytes / 1e6, 1)} MB as COPY text)`}`],
        ['Import', `**${fmt(r.import.seconds, 1)} s**`, `${fmt(r.insertSelect.seconds, 1)} s (INSERT … SELECT)`, ratio(r.import.seconds, r.insertSelect.seconds), ''],
      ],
    ),
  );
  out.push(table(['Largest tables', 'Rows'], r.largest.map((t) => [t.table, n0(t.rows)])));
  out.push(
    'The import does what its floor skips: it reads the zip twice (checksums first), stages each line as jsonb, checks every foreign key, and runs the insert triggers, ' +
      'of which the member-status one updates the member once per status event (timed per table once while writing this section: about 3 of the 12 s at 10,000 members went to the status events, 4 to the invoices). ' +
      'It writes through the app role under RLS in one transaction, so a studio being imported is never half there.',
  );
  out.push(
    `The imported studio exported again gave ${r.sameFiles ? 'the same table files (every SHA-256 equal)' : '**different table files**'}. ` +
      `Load average at start / end (1 min): ${fmt(r.loadAverage.start[0]!, 2)} / ${fmt(r.loadAverage.end[0]!, 2)}, on ${r.cores} cores. Measured on ${r.date}, ${fmt(r.seconds, 0)} s for the whole section.`,
  );
  return out.join('\n\n');
}

