import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { tenantJob } from '../platform/tenancy/job-context.js';
import { memberImportService } from '../modules/members/member-import.service.js';
import { importMapping } from '../modules/members/members.schemas.js';
import { CliError, issueMessage } from './cli-error.js';
import { printRows } from './output.js';
import { withRuntime } from './with-runtime.js';

/** Thrown out of the import's transaction to roll it back after a dry run has said what it would do. */
class DryRun extends Error {}

/** A studio's members from the command line: the onboarding import (issue 19), as the staff screen does it. */
export function membersCommands(program: Command): void {
  program
    .command('members')
    .description("A studio's members")
    .command('import <tenant> <file>')
    .description("Import members from another system's CSV (UTF-8, UTF-16 or Shift_JIS): once per external id, so a rerun adds nobody twice; rows with errors are listed and left out")
    .option('--map <field=header...>', 'which header each field is read from, e.g. externalId=旧ID fullName=氏名 (default: recognised from the headers)')
    .option('--dry-run', 'check the file and say what the import would do, writing nothing')
    .option('--json', 'print JSON')
    .action((tenantArg: string, path: string, o: { map?: string[]; dryRun?: boolean; json?: boolean }) =>
      withRuntime(async (runtime) => {
        const pairs = (o.map ?? []).map((pair) => {
          const at = pair.indexOf('=');
          if (at < 1) throw new CliError(`members import: --map takes field=header, not "${pair}"`);
          return [pair.slice(0, at), pair.slice(at + 1)];
        });
        const parsed = importMapping.safeParse(Object.fromEntries(pairs));
        if (!parsed.success) throw new CliError(`members import: --map: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${issueMessage(i.message)}`).join('; ')}`);
        const file = await readFile(path).catch(() => {
          throw new CliError(`members import: cannot read ${path}`);
        });
        const job = await tenantJob(runtime.directory, (await runtime.tenants.get(tenantArg)).id, runtime.clock.now());
        if (!job) throw new CliError(`members import: the tenant ${tenantArg} is deleted`);
        let result: Awaited<ReturnType<typeof memberImportService.run>> | undefined;
        await job
          .transaction(async (ctx) => {
            // CLI output is English, the rows' problems too.
            result = await memberImportService.run({ ...ctx, request: { ...ctx.request, locale: 'en' } }, { file: file.toString('base64'), ...(o.map ? { mapping: parsed.data } : {}) });
            if (o.dryRun) throw new DryRun();
          })
          .catch((error: unknown) => {
            if (!(error instanceof DryRun)) throw error;
          });
        const r = result!;
        if (o.json) return console.log(JSON.stringify(r, null, 2));
        if (r.errors.length > 0) printRows(r.errors, false);
        const numbers = r.memberNumbers ? ` (member numbers ${r.memberNumbers.first}–${r.memberNumbers.last})` : '';
        console.log(`\n${r.rows} rows (${r.encoding}); ${o.dryRun ? 'would register' : 'registered'} ${r.created}${numbers}; ${r.alreadyImported} imported before, skipped; ${r.failedRows} with errors, left out.`);
        console.log(`Columns: ${Object.entries(r.mapping).map(([field, header]) => `${field}=${header}`).join(' ')}`);
        if (o.dryRun) console.log('Dry run: nothing was written.');
      }),
    );
}
