import type { Command } from 'commander';

/** Per-tenant request usage (issue 6). */
export function usageCommands(program: Command): void {
  void program;
}
