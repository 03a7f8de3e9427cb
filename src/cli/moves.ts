import { Option, type Command } from 'commander';
import { abandonMove, moveTenant, type MovePlan, type MoveReport, type MoveStep, type MoveTarget } from '../platform/tenancy/moves.js';
import { movesRepo } from '../platform/tenancy/moves.repo.js';
import { CliError } from './cli-error.js';
import { printRows } from './output.js';
import { withRuntime } from './with-runtime.js';

const STEPS: MoveStep[] = ['synced', 'locked', 'copied', 'fenced', 'switched'];

/** Moving a studio between tiers, cells and clusters while it is served (issue 19; moves.ts). */
export function moveCommands(tenants: Command): void {
  tenants
    .command('move <tenant>')
    .description('Move a studio to a silo of its own, or to another placement (a pool cell, a silo made ahead), on any cluster, while it is served: it can be read throughout, and its changes wait during the copy')
    .option('--to <where>', '"silo", or a placement id (studiohive placements list)')
    .option('--cluster <name>', 'with --to silo: the cluster of the new silo (default main)')
    .option('--dry-run', 'say how the move would go (target, method, rows) and change nothing')
    .addOption(new Option('--method <method>', 'copy: the read-only copy even where logical replication could run').choices(['copy']))
    .option('--abandon', 'give up an unfinished move that has not switched: the studio stays where it was')
    .option('--json', 'print JSON')
    .addOption(new Option('--hold-at <step>', 'crash drill: stop at this step and wait to be killed').choices(STEPS).hideHelp())
    .action((ref: string, o: { to?: string; cluster?: string; dryRun?: boolean; method?: 'copy'; abandon?: boolean; json?: boolean; holdAt?: MoveStep }) =>
      withRuntime(async (runtime) => {
        if (o.abandon) {
          const move = await abandonMove(runtime, ref);
          if (o.json) return console.log(JSON.stringify(move, null, 2));
          return console.log(`Abandoned the move of ${ref} to ${move.target_placement}: it is served from ${move.source_placement} as before.`);
        }
        if (!o.to) throw new CliError('tenants move: say where, with --to silo or --to <placement id>');
        if (o.cluster && o.to !== 'silo') throw new CliError('tenants move: --cluster goes with --to silo (a placement id names its cluster)');
        const target: MoveTarget = o.to === 'silo' ? { tier: 'silo', cluster: o.cluster } : { placementId: o.to };
        const holdAt = o.holdAt ?? (process.env.STUDIOHIVE_MOVE_HOLD_AT as MoveStep | undefined);
        const result = await moveTenant(runtime, ref, target, {
          dryRun: o.dryRun,
          method: o.method,
          holdAt,
          onPlan: (plan) => (o.json ? undefined : printPlan(plan, Boolean(o.dryRun))),
          onStep: (step) => (o.json ? undefined : console.log(`  ${new Date().toISOString()} ${step}`)),
        });
        if (o.json) return console.log(JSON.stringify(result, null, 2));
        if ('moveId' in result) printReport(result);
      }),
    );

  tenants
    .command('moves <tenant>')
    .description("A studio's moves, newest first: state, rows copied, the write pause, and when the old rows are purged")
    .option('--json', 'print JSON')
    .action((ref: string, o: { json?: boolean }) =>
      withRuntime(async (runtime) => {
        const { id } = await runtime.tenants.get(ref);
        const moves = await movesRepo.ofTenant(runtime.databases.platform, id, 20);
        printRows(moves.map((m) => ({
          id: m.id, state: m.state, from: m.source_placement, to: m.target_placement, rows: m.rows, writePauseMs: m.write_pause_ms,
          started: m.created_at.toISOString(), finished: m.finished_at?.toISOString() ?? null, sourcePurged: m.source_purged_at?.toISOString() ?? null, error: m.error,
        })), Boolean(o.json));
      }),
    );
}

function printPlan(plan: MovePlan, dryRun: boolean) {
  const { from, to } = plan;
  console.log(`${dryRun ? 'Would move' : 'Moving'} ${plan.tenant.slug}: ${from.placementId} (${from.tier}, ${from.cluster}) → ${to.placementId} (${to.tier}, ${to.cluster}${to.exists ? '' : ', a new database'}).`);
  if (plan.resumes) console.log(`Resuming move ${plan.resumes.moveId}, stopped while ${plan.resumes.state}.`);
  if (plan.method === 'replication') {
    console.log(`Method: logical replication of ${plan.rows} rows in ${plan.tables.filter((t) => t.rows > 0).length} tables. The studio is served as usual during the copy; its changes are refused with 503 and Retry-After only for the cut-over (the target catching up, and the check of every table).`);
  } else {
    console.log(`Method: a read-only copy of ${plan.rows} rows in ${plan.tables.filter((t) => t.rows > 0).length} tables. The studio can be read throughout; its changes are refused with 503 and Retry-After from the start of the copy to the switch.`);
    console.log(`(Not logical replication, which would let changes go on during the copy: ${plan.why}.)`);
  }
}

function printReport(r: MoveReport) {
  const pause = r.writePauseMs === null ? 'not measured (resumed after the copy)' : `${r.writePauseMs} ms`;
  console.log(`\nMoved ${r.plan.tenant.slug} to ${r.plan.to.placementId}${r.rows === null ? '' : `: ${r.rows} rows copied and verified`}; changes paused ${pause}.`);
  console.log(`Its rows in ${r.plan.from.placementId} are purged after ${r.sourcePurgeAt} (move ${r.moveId}).`);
}
