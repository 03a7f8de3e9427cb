import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { capacityRules, DEFAULT_RULES, planQuery, type CapacityRules } from '../platform/capacity/capacity.schemas.js';
import { computePlan, renderPlan } from '../platform/capacity/capacity.service.js';
import { kedaYaml } from '../platform/capacity/planner.js';
import { CliError, issueMessage } from './cli-error.js';
import { withRuntime } from './with-runtime.js';

const issuesOf = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${issueMessage(i.message)}`).join('; ');

/** A rules file: JSON holding any subset of the rules; a file that cannot be read or is wrong is the caller's mistake. */
async function loadRules(file: string | undefined): Promise<CapacityRules> {
  if (!file) return DEFAULT_RULES;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `it is not JSON (${error.message})` : `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new CliError(`--rules ${file}: ${reason}`);
  }
  const parsed = capacityRules.safeParse(raw);
  if (!parsed.success) throw new CliError(`--rules ${file}: ${issuesOf(parsed.error)}`);
  return parsed.data;
}

/** Scaling schedules from the business calendar (issue 6). */
export function capacityCommands(program: Command): void {
  const capacity = program.command('capacity').description('Scaling schedules from the business calendar');
  capacity
    .command('plan')
    .description("Plan replicas from every active tenant's lessons and booking-window openings in a period")
    .requiredOption('--from <YYYY-MM-DD>', 'first day (local to --timezone)')
    .requiredOption('--to <YYYY-MM-DD>', 'last day, included (at most 62 days in all)')
    .addOption(new Option('--format <format>', 'keda: YAML for a ScaledObject; aws: scheduled actions (JSON); json: slots and windows').choices(['keda', 'aws', 'json']).default('json'))
    .option('--rules <file.json>', 'rules mapping load to replicas (any subset; see docs/operating.md)')
    .option('--timezone <IANA>', 'zone of the dates and of the KEDA cron times', 'UTC')
    .action(async (o: { from: string; to: string; format: string; rules?: string; timezone: string }) => {
      const query = planQuery.safeParse({ from: o.from, to: o.to, format: o.format, timezone: o.timezone });
      if (!query.success) throw new CliError(issuesOf(query.error).replace(/^(\w+):/, '--$1:').replace(/; (\w+):/g, '; --$1:'));
      const rules = await loadRules(o.rules);
      const computed = await withRuntime((runtime) => computePlan(runtime, query.data, rules));
      const period = { from: query.data.from, to: query.data.to, timeZone: query.data.timezone };
      if (query.data.format === 'keda') process.stdout.write(kedaYaml(computed.plan, period, rules));
      else if (query.data.format === 'aws') console.log(JSON.stringify(renderPlan(computed).ScheduledUpdateGroupActions, null, 2));
      else console.log(JSON.stringify(renderPlan(computed), null, 2));
    });
}
