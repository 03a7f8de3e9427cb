import { z } from 'zod';
import { MEMBER_KIND_NAMES, MEMBER_KINDS, type MemberKind } from '../../platform/messaging/kinds.js';

/*
 * Only zod and the kinds list: the member app's Notifications form checks with these very schemas.
 */

const channel = z.enum(['line', 'push', 'mail']);
const channelChoice = channel.nullable().describe('The channel for this kind; null: automatic (LINE when linked, else notifications on a device, else mail)');

/** One kind's choice. An essential kind cannot be turned off: the schema refuses it, in the catalog's words. */
const preference = (kind: MemberKind) =>
  z
    .object({
      enabled: MEMBER_KINDS[kind].optional ? z.boolean() : z.boolean().refine((on) => on, 'members.notifications.essential'),
      channel: channelChoice,
    })
    .strict();

/** The member's choices per kind; a kind left out keeps its choice. */
export const notificationsBody = z
  .strictObject(Object.fromEntries(MEMBER_KIND_NAMES.map((kind) => [kind, preference(kind).optional()])) as { [K in MemberKind]: z.ZodOptional<ReturnType<typeof preference>> })
  .meta({ example: { lesson_reminder: { enabled: false, channel: null }, payment_failed: { enabled: true, channel: 'mail' } } });

export const languageBody = z
  .object({
    locale: z
      .enum(['ja', 'en'])
      .nullable()
      .optional()
      .transform((locale) => locale ?? null)
      .describe('The language of what the studio sends me; null or left out: the studio’s language'),
  })
  .strict()
  .meta({ example: { locale: 'en' } });

/** A member's message settings, as the member and the studio's staff see them. */
export const notificationSettings = z
  .object({
    locale: z.enum(['ja', 'en']).nullable().describe('The language messages are written in; null: the studio’s'),
    studioLocale: z.enum(['ja', 'en']).describe('The studio’s language, used when locale is null'),
    quietHours: z
      .object({ start: z.string(), end: z.string() })
      .nullable()
      .describe('The studio’s quiet hours (local HH:MM): optional messages queued in them wait for their end; null: none'),
    reachable: z
      .object({ line: z.boolean(), push: z.boolean(), mail: z.boolean() })
      .describe('The channels that reach the member now: LINE when linked, push when a device is subscribed, mail when they have an address'),
    via: z
      .object({ memberId: z.uuid(), name: z.string() })
      .nullable()
      .describe('Set when nothing reaches the member themselves: their messages go to this family lead, and the settings given are the lead’s'),
    kinds: z.array(
      z.object({
        kind: z.enum(MEMBER_KIND_NAMES),
        optional: z.boolean().describe('Whether the member may turn it off (essential kinds always go)'),
        enabled: z.boolean(),
        channel: channelChoice,
      }),
    ),
  })
  .meta({ id: 'NotificationSettings' });
