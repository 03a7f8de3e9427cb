import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const failure = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('configuration', () => {
  it('has working defaults for a local start', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, BASE_DOMAIN: 'localhost', LOG_LEVEL: 'info' });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('names each bad value', () => {
    expect(failure({ PORT: 'eighty' })).toContain('PORT');
    expect(failure({ PORT: '70000' })).toContain('PORT');
    expect(failure({ LOG_LEVEL: 'loud' })).toContain('LOG_LEVEL');
    expect(failure({ BASE_DOMAIN: 'Studio Hive!' })).toContain('BASE_DOMAIN');
    expect(failure({ DATABASE_URL: 'mysql://x@y/z', APP_DATABASE_PASSWORD: 'x'.repeat(16) })).toContain('DATABASE_URL');
    expect(failure({ PLATFORM_ADMIN_TOKEN: 'short' })).toContain('PLATFORM_ADMIN_TOKEN');
    expect(failure({ EXTRA_CLUSTERS: '{not json' })).toContain('EXTRA_CLUSTERS');
    expect(failure({ MIGRATE_ON_START: 'no' })).toContain('MIGRATE_ON_START');
    expect(failure({ MIGRATE_CONCURRENCY: '0' })).toContain('MIGRATE_CONCURRENCY');
    expect(failure({ MIGRATE_CONCURRENCY: 'many' })).toContain('MIGRATE_CONCURRENCY');
  });

  it('migrates on start, 8 placements at a time, unless told otherwise', () => {
    expect(loadConfig({})).toMatchObject({ MIGRATE_ON_START: true, MIGRATE_CONCURRENCY: 8 });
    expect(loadConfig({ MIGRATE_ON_START: 'false', MIGRATE_CONCURRENCY: '2' })).toMatchObject({ MIGRATE_ON_START: false, MIGRATE_CONCURRENCY: 2 });
  });

  it('requires the app role password with an external database', () => {
    expect(failure({ DATABASE_URL: 'postgres://owner:pw@db.internal:5432/studiohive' })).toContain('APP_DATABASE_PASSWORD');
  });

  it('lists every bad value at once', () => {
    const message = failure({ PORT: 'x', LOG_LEVEL: 'y' });
    expect(message).toContain('PORT');
    expect(message).toContain('LOG_LEVEL');
  });
});
