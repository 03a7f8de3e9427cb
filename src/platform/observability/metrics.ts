import { Registry } from 'prom-client';

/**
 * The process's Prometheus registry. Never label a series by tenant id: thousands of tenants would make
 * thousands of series per metric. Per-tenant figures go to platform.tenant_usage instead.
 */
export interface Metrics {
  registry: Registry;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  return { registry };
}
