import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import { limitsReport } from '../platform/limits/limits.service.js';
import { exitCodeOf, unknownThresholdNames } from '../platform/limits/thresholds.js';
import { withRuntime } from './with-runtime.js';
import { printRows } from './output.js';

/** Limits and quotas with thresholds (issue 6). */
export function limitsCommands(program: Command): void {
  program
    .command('limits')
    .description('Every limit as usage / max / percent and a level; exits 0 when all are ok, 1 on any warning, 2 on any critical')
    .option('--json', 'print JSON')
    .option('--tenant <slug|id>', "only this tenant's quotas, measured now")
    .option('--level <level>', 'only rows at this level or worse: warning | critical')
    .option('--refresh', 'measure every tenant now instead of using the last quota_usage job run')
    .action((o: { json?: boolean; tenant?: string; level?: string; refresh?: boolean }) =>
      withRuntime(async (runtime) => {
        if (o.level !== undefined && o.level !== 'warning' && o.level !== 'critical') {
          throw new CliError('limits: --level must be warning or critical');
        }
        for (const name of unknownThresholdNames(runtime.config.LIMIT_THRESHOLDS)) {
          console.error(`limits: LIMIT_THRESHOLDS names "${name}", which is no limit; it is ignored`);
        }
        const report = await limitsReport(runtime, { tenant: o.tenant, refresh: o.refresh, level: o.level as 'warning' | 'critical' | undefined });
        printRows(report.rows.map((r) => ({ ...r, percent: o.json ? r.percent : `${r.percent.toFixed(1)}%` })), Boolean(o.json));
        // The level goes to stderr too, so a warning (exit 1) or critical (exit 2) is told apart from a refused
        // invocation, which exits 2 with only an error message.
        if (report.level !== 'ok') console.error(`limits: ${report.level}`);
        process.exitCode = exitCodeOf([{ level: report.level }]);
      }),
    );
}
