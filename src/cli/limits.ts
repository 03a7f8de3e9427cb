import type { Command } from 'commander';

/** Limits and quotas with thresholds (issue 6). */
export function limitsCommands(program: Command): void {
  void program;
}
