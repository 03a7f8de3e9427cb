import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Tenant } from '../db/types.js';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import type { RouteConfig } from '../http/tenant-route.js';
import { limitOf } from './quotas.js';

/**
 * The per-minute limit is enforced as a sixth of it per 10-second window: with whole-minute windows a tenant
 * could spend its minute in one burst at the server's full speed (3,000 requests in a few seconds on the standard
 * plan), which is exactly the load that hurts the other tenants.
 */
const WINDOW_SECONDS = 10;
const perWindow = (perMinute: number) => Math.max(1, Math.ceil((perMinute * WINDOW_SECONDS) / 60));

/**
 * The per-tenant request rate limit (apiRequestsPerMinute of the tenant's plan), counted in this process's memory:
 * with N instances behind a load balancer each enforces the full limit on its own, so a tenant can reach up to N×
 * the limit in all. It is checked before any transaction is opened, so a limited request costs no connection.
 * One limiter per distinct limit (a plan's value or an override), keyed by tenant id; a changed limit moves the
 * tenant to another limiter with a fresh window.
 */
export function tenantRateLimiter(enabled: boolean) {
  const limiters = new Map<number, RateLimiterMemory>();
  const limiterFor = (points: number) => {
    let limiter = limiters.get(points);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points, duration: WINDOW_SECONDS });
      limiters.set(points, limiter);
    }
    return limiter;
  };

  function headers(reply: FastifyReply, points: number, res: RateLimiterRes) {
    void reply.headers({
      'ratelimit-policy': `${points};w=${WINDOW_SECONDS}`,
      'ratelimit-limit': String(points),
      'ratelimit-remaining': String(Math.max(0, res.remainingPoints)),
      'ratelimit-reset': String(Math.ceil(res.msBeforeNext / 1000)),
    });
  }

  return async function take(tenant: Tenant, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!enabled || (req.routeOptions.config as RouteConfig).metered === false) return;
    const perMinute = limitOf(tenant.limits, 'apiRequestsPerMinute');
    if (perMinute === null) return;
    if (perMinute === 0) throw new AppError('rate_limited', text('platform.rate.no_requests'), { retryAfterSeconds: 60, limit: 'tenant.api_requests_per_minute', max: 0 });
    const points = perWindow(perMinute);
    try {
      headers(reply, points, await limiterFor(points).consume(tenant.id));
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      headers(reply, points, refused);
      const retryAfterSeconds = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
      throw new AppError('rate_limited', text('platform.rate.used', { perMinute, points, window: WINDOW_SECONDS, retry: retryAfterSeconds }), {
        retryAfterSeconds,
        limit: 'tenant.api_requests_per_minute',
        max: perMinute,
      });
    }
  };
}
