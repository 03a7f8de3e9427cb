import { Option, type Command } from 'commander';
import { usageQuery } from '../platform/observability/usage.schemas.js';
import { createUsageService } from '../platform/observability/usage.service.js';
import { printRows } from './output.js';
import { withRuntime } from './with-runtime.js';

interface UsageOptions {
  tenant?: string;
  since?: string;
  until?: string;
  by: 'tenant' | 'hour';
  limit?: string;
  json?: boolean;
}

/** Per-tenant request usage (issue 6). */
export function usageCommands(program: Command): void {
  program
    .command('usage')
    .description('Requests, errors and time per tenant from platform.tenant_usage (the same as GET /platform/usage)')
    .option('--tenant <tenant>', 'one tenant (id or slug)')
    .option('--since <time>', 'ISO timestamp, date (YYYY-MM-DD, UTC) or a span back from now such as 24h or 7d (default: 24h)')
    .option('--until <time>', 'the same forms (default: now)')
    .addOption(new Option('--by <by>', 'totals per tenant, or hourly rows').choices(['tenant', 'hour']).default('tenant'))
    .option('--limit <n>', 'most rows (default 1000)')
    .option('--json', 'print JSON')
    .action((o: UsageOptions) =>
      withRuntime(async (runtime) => {
        // The API's own query schema, so the CLI accepts and refuses exactly what the API does.
        const query = usageQuery.parse({ tenant: o.tenant, since: o.since, until: o.until, by: o.by, limit: o.limit });
        const result = await createUsageService(runtime).usage(query);
        if (o.json) return console.log(JSON.stringify(result, null, 2));
        console.log(`Usage from ${result.since} to ${result.until}`);
        printRows(result.items, false);
      }),
    );
}
