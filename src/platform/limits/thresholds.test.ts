import { describe, expect, it } from 'vitest';
import { exitCodeOf, levelOf, limitRow, unknownThresholdNames } from './thresholds.js';

describe('limit levels', () => {
  it('warns at 80% and is critical at 99% by default', () => {
    expect(levelOf('tenant.members', 79, 100)).toBe('ok');
    expect(levelOf('tenant.members', 80, 100)).toBe('warning');
    expect(levelOf('tenant.members', 98, 100)).toBe('warning');
    expect(levelOf('tenant.members', 99, 100)).toBe('critical');
    expect(levelOf('tenant.members', 120, 100)).toBe('critical');
  });

  it('takes overrides per limit, as a percentage or a count, and leaves other limits alone', () => {
    const overrides = { 'tenant.members': { warning: '70%', critical: 4900 } };
    expect(levelOf('tenant.members', 3500, 5000, overrides)).toBe('warning');
    expect(levelOf('tenant.members', 4899, 5000, overrides)).toBe('warning');
    expect(levelOf('tenant.members', 4900, 5000, overrides)).toBe('critical');
    expect(levelOf('tenant.staff', 35, 50, overrides)).toBe('ok');
    expect(unknownThresholdNames({ 'tenant.member': {}, 'platform.disk_bytes': {} })).toEqual(['tenant.member']);
  });

  it('treats a limit of 0 as allowing nothing, and maps the worst level to the exit code', () => {
    expect(limitRow('s', 'tenant.locations', 0, 0)).toMatchObject({ percent: 0, level: 'ok' });
    expect(limitRow('s', 'tenant.locations', 1, 0)).toMatchObject({ percent: 100, level: 'critical' });
    expect(limitRow('s', 'tenant.members', 1, 3).percent).toBe(33.3);
    expect(exitCodeOf([])).toBe(0);
    expect(exitCodeOf([{ level: 'ok' }, { level: 'warning' }])).toBe(1);
    expect(exitCodeOf([{ level: 'critical' }, { level: 'warning' }])).toBe(2);
  });
});
