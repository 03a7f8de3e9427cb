import { Option, type Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { addDays, compactAnalytics, dayOf, openAnalytics, type Analytics, type AnalyticsFilter } from '../platform/analytics/analytics.service.js';
import { CliError } from './cli-error.js';
import { isValidDate } from '../platform/calendar.js';
import type { Runtime } from '../platform/runtime.js';
import { printRows } from './output.js';
import { withRuntime } from './with-runtime.js';

const day = (name: string) =>
  z.string().refine(isValidDate, `${name} must be a date like 2026-11-01`);

interface CommonOptions {
  since?: string;
  tenant?: string;
  json?: boolean;
}

/** The filter of --since (default: the last 30 days) and --tenant (slug or id, resolved in the catalog). */
async function filterOf(runtime: Runtime, o: CommonOptions): Promise<AnalyticsFilter> {
  const since = day('--since').parse(o.since ?? addDays(dayOf(runtime.clock.now()), -30));
  return { since, tenantId: o.tenant ? (await runtime.tenants.get(o.tenant)).id : undefined };
}

/** Puts the tenant's slug next to its id; a purged tenant keeps only its id. */
async function withSlugs<T extends { tenant_id: string }>(runtime: Runtime, rows: T[]) {
  const slugs = new Map<string, string>();
  for (const id of new Set(rows.map((r) => r.tenant_id))) {
    slugs.set(id, await runtime.tenants.get(id).then((t) => t.slug, () => '(deleted)'));
  }
  return rows.map(({ tenant_id, ...rest }) => ({ tenant: slugs.get(tenant_id)!, ...rest, tenant_id }));
}

function query(o: CommonOptions, fn: (runtime: Runtime, analytics: Analytics, filter: AnalyticsFilter) => Promise<Array<Record<string, unknown>>>) {
  return withRuntime(async (runtime) => {
    const filter = await filterOf(runtime, o);
    const analytics = await openAnalytics(runtime.config);
    try {
      printRows(await fn(runtime, analytics, filter), Boolean(o.json));
    } finally {
      await analytics.close();
    }
  });
}

const common = (command: Command) =>
  command
    .option('--since <YYYY-MM-DD>', 'first day to include (UTC; default: 30 days ago)')
    .option('--tenant <slug|id>', 'one tenant only')
    .option('--json', 'print JSON');

/** Page-view analytics over object storage with DuckDB (issue 6). */
export function analyticsCommands(program: Command): void {
  const analytics = program.command('analytics').description('Page views of the web app across tenants (DuckDB over the beacon files)');

  common(analytics.command('top-pages').description('The most viewed pages of each tenant'))
    .addOption(new Option('--limit <n>', 'pages per tenant').default('10').argParser((v) => z.coerce.number().int().min(1).max(1000).parse(v)))
    .action((o: CommonOptions & { limit: number }) =>
      query(o, async (runtime, a, filter) => withSlugs(runtime, await a.topPages(filter, Number(o.limit)))),
    );

  common(analytics.command('visitors').description('Distinct visitors (cookieless, per day) and page views per tenant and day')).action((o: CommonOptions) =>
    query(o, async (runtime, a, filter) => withSlugs(runtime, await a.visitors(filter))),
  );

  common(analytics.command('unused-pages').description('Pages of the app no tenant visited in the period')).action((o: CommonOptions) =>
    query(o, async (_runtime, a, filter) => a.unusedPages(filter)),
  );

  analytics
    .command('compact')
    .description('Merge each finished day\'s small files into one Parquet file per (day, tenant); the daily job does the same')
    .option('--before <YYYY-MM-DD>', 'compact the days before this one (default: yesterday)')
    .option('--json', 'print JSON')
    .action(async (o: { before?: string; json?: boolean }) => {
      const config = loadConfig();
      if (o.before !== undefined && !isValidDate(o.before)) throw new CliError('--before must be a date like 2026-11-01');
      const result = await compactAnalytics(config, new Date(), o.before);
      printRows([result], Boolean(o.json));
    });
}
