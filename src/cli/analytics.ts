import type { Command } from 'commander';

/** Page-view analytics over object storage with DuckDB (issue 6). */
export function analyticsCommands(program: Command): void {
  void program;
}
