import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { tenantsRepo } from '../platform/tenancy/tenants.repo.js';
import { importTenantArchive, writeTenantArchive } from '../platform/tenancy/archive.js';
import { asLocale } from '../platform/i18n.js';
import { CliError } from './cli-error.js';
import { printRows } from './output.js';
import { withRuntime } from './with-runtime.js';

/** A studio's archive from the command line (issue 19): take its data out, or bring it into any placement. */
export function archiveCommands(tenants: Command): void {
  tenants
    .command('export <tenant>')
    .description("Write the studio's archive: a zip with a NDJSON file per table, the invoices' PDFs, and a manifest with row counts and SHA-256 checksums (never passwords, tokens or keys)")
    .requiredOption('--out <file>', 'the zip to write')
    .option('--no-documents', "tables only, without the invoices' PDFs")
    .addOption(new Option('--locale <locale>', "the documents' language (default: the studio's)").choices(['ja', 'en']))
    .option('--json', 'print the manifest as JSON')
    .action((ref: string, o: { out: string; documents: boolean; locale?: string; json?: boolean }) =>
      withRuntime(async (runtime) => {
        const { id } = await runtime.tenants.get(ref);
        const tenant = (await tenantsRepo.byId(runtime.databases.platform, id))!;
        if (tenant.status === 'deleted') throw new CliError(`tenants export: ${tenant.slug} is deleted`);
        // Written beside and renamed when whole: a failed export never leaves a file that looks like an archive.
        const partial = `${o.out}.partial`;
        const started = performance.now();
        try {
          const manifest = await writeTenantArchive(runtime, tenant, createWriteStream(partial), { locale: asLocale(o.locale ?? tenant.locale), documents: o.documents });
          await rename(partial, o.out);
          if (o.json) return console.log(JSON.stringify(manifest, null, 2));
          printRows(manifest.tables.filter((t) => t.rows > 0).map((t) => ({ table: t.table, rows: t.rows, sha256: t.sha256.slice(0, 12) })), false);
          const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
          console.log(`\n${tenant.slug}: ${rows} rows in ${manifest.tables.length} tables, ${manifest.documents.length} documents, written to ${o.out} in ${Math.round(performance.now() - started)} ms.`);
          console.log(`Left out: ${manifest.leftOut.map((t) => t.table.replace(/^app\./, '')).join(', ')}; blanked: ${manifest.blanked.map((b) => `${b.table.replace(/^app\./, '')}.${b.column}`).join(', ')}.`);
        } catch (error) {
          await rm(partial, { force: true });
          throw error;
        }
      }),
    );

  tenants
    .command('import <file>')
    .description('Load an archive as a new tenant, with every id kept, into any placement of this deployment (same or older schema version); a refused archive changes nothing')
    .option('--slug <slug>', "the new tenant's address label (default: the archive's)")
    .option('--name <name>', "display name (default: the archive's)")
    .option('--placement <id>', 'a pool cell, or a silo made ahead (default: the pool cell with most room)')
    .addOption(new Option('--tier <tier>', 'pool, or silo for a database of its own').choices(['pool', 'silo']))
    .option('--cluster <name>', 'the cluster of a new silo, or of the pool cell chosen')
    .option('--json', 'print JSON')
    .action((file: string, o: { slug?: string; name?: string; placement?: string; tier?: 'pool' | 'silo'; cluster?: string; json?: boolean }) =>
      withRuntime(async (runtime) => {
        const started = performance.now();
        const report = await importTenantArchive(runtime, file, { slug: o.slug, displayName: o.name, placementId: o.placement, tier: o.tier, cluster: o.cluster });
        if (o.json) return console.log(JSON.stringify(report, null, 2));
        const rows = report.tables.reduce((n, t) => n + t.rows, 0);
        console.log(`Imported ${rows} rows into ${report.tenant.slug} (${report.tenant.tier}, ${report.tenant.placementId}) in ${Math.round(performance.now() - started)} ms: ${runtime.tenantUrl(report.tenant)}`);
        console.log('\nPasswords are never exported. These staff sign in after choosing one ("Forgot password" on the sign-in page):');
        printRows(report.staffToSetPassword.map((email) => ({ email })), false);
        console.log(`${report.memberAccountsToSetPassword} member account(s) likewise choose a password through "Forgot password".`);
        console.log(`Started empty: ${report.leftOut.map((t) => `${t.table.replace(/^app\./, '')} (${t.why})`).join('; ')}.`);
      }),
    );
}
