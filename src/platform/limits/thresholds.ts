import type { Config } from '../../config.js';

export type Level = 'ok' | 'warning' | 'critical';
export const levels: readonly Level[] = ['ok', 'warning', 'critical'];

/** Stable names: configuration (LIMIT_THRESHOLDS), the CLI, the API and the metric labels all use these. */
export const LIMIT_NAMES = [
  'tenant.members',
  'tenant.locations',
  'tenant.staff',
  'tenant.storage_bytes',
  'platform.db_connections',
  'platform.cell_tenants',
  'platform.db_size_bytes',
  'platform.job_backlog',
  'platform.disk_bytes',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** A percentage of the limit ("70%") or an absolute usage (4900). */
export type Threshold = string | number;
export type Thresholds = NonNullable<Config['LIMIT_THRESHOLDS']>;

const DEFAULTS = { warning: '80%', critical: '99%' } as const;

export interface LimitRow {
  /** A tenant's slug, or the piece of the platform: `cluster:<name>`, `cell:<placement>`, `disk:<folder>`. */
  scope: string;
  limit: LimitName;
  usage: number;
  max: number;
  percent: number;
  level: Level;
}

function reached(usage: number, max: number, threshold: Threshold): boolean {
  if (typeof threshold === 'number') return usage >= threshold;
  const percent = Number(threshold.slice(0, -1));
  // A limit of 0 allows nothing: any use of it is over, none is not.
  return max === 0 ? usage > 0 : usage * 100 >= max * percent;
}

export function levelOf(limit: LimitName, usage: number, max: number, overrides: Thresholds = {}): Level {
  const own = overrides[limit] ?? {};
  if (reached(usage, max, own.critical ?? DEFAULTS.critical)) return 'critical';
  if (reached(usage, max, own.warning ?? DEFAULTS.warning)) return 'warning';
  return 'ok';
}

export function limitRow(scope: string, limit: LimitName, usage: number, max: number, overrides?: Thresholds): LimitRow {
  const percent = max === 0 ? (usage > 0 ? 100 : 0) : Math.round((usage / max) * 1000) / 10;
  return { scope, limit, usage, max, percent, level: levelOf(limit, usage, max, overrides) };
}

export const worstLevel = (rows: Array<Pick<LimitRow, 'level'>>): Level =>
  rows.reduce<Level>((worst, r) => (levels.indexOf(r.level) > levels.indexOf(worst) ? r.level : worst), 'ok');

/** Exit code of `studiohive limits`: 0 all ok, 1 any warning, 2 any critical (as awslimitchecker). */
export const exitCodeOf = (rows: Array<Pick<LimitRow, 'level'>>) => levels.indexOf(worstLevel(rows));

/** Names in LIMIT_THRESHOLDS that name no limit are a typo that would silently do nothing. */
export function unknownThresholdNames(overrides: Thresholds = {}): string[] {
  return Object.keys(overrides).filter((name) => !(LIMIT_NAMES as readonly string[]).includes(name));
}
