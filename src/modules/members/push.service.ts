import { AppError, refusal } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { PushKeys } from '../../platform/messaging/push-sender.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actingMemberId } from './acting-member.js';
import { pushRepo } from './push.repo.js';

export interface PushSettings {
  keys: PushKeys | null;
  /** PUSH_SERVICE_HOSTS: the hosts (and their subdomains) an endpoint may name. */
  serviceHosts: readonly string[];
}

const keysOf = (settings: PushSettings) => {
  if (!settings.keys) throw new AppError('unavailable', text('push.off'));
  return settings.keys;
};

/** The server posts to the endpoint: only a known push service, never a host inside the network. */
function checkService(settings: PushSettings, endpoint: string) {
  const { hostname: host } = new URL(endpoint);
  if (!settings.serviceHosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`))) {
    throw refusal('unknown_push_service', text('push.unknown_service', { host }));
  }
}

/** Web Push on the signed-in member's devices (each browser's subscription is its own device). */
export const pushService = {
  async state(ctx: TenantContext, settings: PushSettings, endpoint?: string) {
    const { publicKey } = keysOf(settings);
    const devices = await pushRepo.endpoints(ctx.db, await actingMemberId(ctx));
    return { publicKey, thisDevice: endpoint !== undefined && devices.some((d) => d.endpoint === endpoint), devices: devices.length };
  },

  async subscribe(ctx: TenantContext, settings: PushSettings, subscription: { endpoint: string; keys: { p256dh: string; auth: string } }) {
    keysOf(settings);
    checkService(settings, subscription.endpoint);
    const memberId = await actingMemberId(ctx);
    await pushRepo.upsert(ctx.db, memberId, { endpoint: subscription.endpoint, ...subscription.keys });
    return pushService.state(ctx, settings, subscription.endpoint);
  },

  /** Turning off works without push configured too: a device must always be able to stop notifications. */
  async unsubscribe(ctx: TenantContext, endpoint: string) {
    await pushRepo.remove(ctx.db, await actingMemberId(ctx), endpoint);
  },
};
