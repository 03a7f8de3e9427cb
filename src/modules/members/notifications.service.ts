import type { z } from 'zod';
import { notFound } from '../../platform/errors.js';
import { studioLocale } from '../../platform/i18n.js';
import { MEMBER_KIND_NAMES, MEMBER_KINDS } from '../../platform/messaging/kinds.js';
import { studioQuietHours } from '../../platform/messaging/outbox.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actingMemberId } from './acting-member.js';
import { notificationsRepo } from './notifications.repo.js';
import type { languageBody, notificationsBody, notificationSettings } from './notifications.schemas.js';

type Settings = z.input<typeof notificationSettings>;

/**
 * What a member has chosen for each kind they can receive, with what reaches them now. A kind never chosen is on and
 * automatic. Preferences are the recipient's own: a child's messages go to the family lead and follow the lead's.
 */
async function settingsOf(ctx: TenantContext, memberId: string, staffView = false): Promise<Settings> {
  const reach = await notificationsRepo.reach(ctx.db, memberId);
  if (!reach) throw notFound('members.thing.member');
  // Nothing reaches a family member of their own: their messages go to the lead under the lead's choices
  // (outboxRepo.recipients), so those are the ones that answer the desk's "why did this go there?". The member's
  // own page keeps their own choices, which decide once something reaches them.
  if (staffView && !reach.mail && !reach.line && !reach.push && reach.family_lead_id && reach.lead_name !== null) {
    return { ...(await settingsOf(ctx, reach.family_lead_id)), via: { memberId: reach.family_lead_id, name: reach.lead_name } };
  }
  const chosen = new Map((await notificationsRepo.preferences(ctx.db, memberId)).map((p) => [p.kind, p]));
  return {
    locale: reach.locale,
    studioLocale: studioLocale(ctx.tenant),
    quietHours: await studioQuietHours(ctx.db),
    reachable: { line: reach.line, push: reach.push, mail: reach.mail },
    via: null,
    kinds: MEMBER_KIND_NAMES.map((kind) => {
      const { optional } = MEMBER_KINDS[kind];
      const choice = chosen.get(kind);
      // Essential kinds go whatever a stored row says, so the answer says so too.
      return { kind, optional, enabled: !optional || (choice?.enabled ?? true), channel: choice?.channel ?? null };
    }),
  };
}

export const notificationsService = {
  async mine(ctx: TenantContext) {
    return settingsOf(ctx, await actingMemberId(ctx));
  },

  /** Saves the kinds named; the schema has already refused turning an essential kind off. */
  async update(ctx: TenantContext, body: z.output<typeof notificationsBody>) {
    const memberId = await actingMemberId(ctx);
    const choices = MEMBER_KIND_NAMES.flatMap((kind) => {
      const choice = body[kind];
      return choice ? [{ kind, enabled: choice.enabled, channel: choice.channel }] : [];
    });
    await notificationsRepo.savePreferences(ctx.db, memberId, choices, ctx.now);
    return settingsOf(ctx, memberId);
  },

  async setLanguage(ctx: TenantContext, body: z.output<typeof languageBody>) {
    const memberId = await actingMemberId(ctx);
    await notificationsRepo.setLocale(ctx.db, memberId, body.locale);
    return settingsOf(ctx, memberId);
  },

  /** For staff on the member's page: read only. */
  ofMember(ctx: TenantContext, memberId: string) {
    return settingsOf(ctx, memberId, true);
  },
};
