import type { Command } from 'commander';

/** Scaling schedules from the business calendar (issue 6). */
export function capacityCommands(program: Command): void {
  void program;
}
