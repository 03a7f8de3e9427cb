import { z } from 'zod';

const lineUserId = z.string().regex(/^U[0-9a-f]{32}$/);

/** The studio's LINE Official Account, as staff enter it from the LINE Developers console. */
export const connectBody = z.object({
  channelId: z.string().trim().regex(/^[0-9]{6,20}$/, 'line.channel_id_format').describe('The Messaging API channel’s Channel ID'),
  channelSecret: z.string().trim().regex(/^[0-9A-Za-z]{16,64}$/, 'line.channel_secret_format').describe('Write-only'),
  accessToken: z.string().trim().regex(/^[A-Za-z0-9+/=._-]{16,1000}$/, 'line.access_token_format').describe('Write-only: a long-lived channel access token'),
  basicId: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^@[0-9a-z._-]{3,40}$/, 'line.basic_id_format')
    .nullable()
    .optional()
    .describe('The account’s basic ID (@abc1234), for the friend-add link members see'),
});

/** Never the secret or the token: only that the account is connected. */
export const channelAnswer = z.object({
  connected: z.boolean(),
  channelId: z.string().nullable(),
  basicId: z.string().nullable(),
  connectedAt: z.string().nullable(),
  /** What to paste into the console's Webhook URL. */
  webhookUrl: z.string(),
});

/** A webhook delivery (LINE's shape; event kinds this app does not handle are acknowledged and ignored). */
const event = z.looseObject({
  type: z.string().min(1).max(50),
  webhookEventId: z.string().min(1).max(100),
  timestamp: z.number().int(),
  replyToken: z.string().min(1).max(200).optional(),
  source: z.looseObject({ type: z.string().max(20), userId: lineUserId.optional() }).optional(),
  link: z.looseObject({ result: z.enum(['ok', 'failed']), nonce: z.string().max(255).optional() }).optional(),
});
export const webhookBody = z.object({ destination: z.string().max(100), events: z.array(event).max(500) });
export type WebhookEvent = z.infer<typeof event>;
export const webhookAnswer = z.object({ received: z.literal(true), handled: z.number().int(), duplicates: z.number().int() });

export const myLine = z.object({
  /** The studio has connected a LINE Official Account. */
  available: z.boolean(),
  linked: z.boolean(),
  linkedAt: z.string().nullable(),
  basicId: z.string().nullable(),
  /** Adds the account as a friend, which starts the link. */
  friendUrl: z.string().nullable(),
});

export const linkBody = z.object({ linkToken: z.string().regex(/^[A-Za-z0-9_-]{8,100}$/, 'line.link_token_format') });
export const linkAnswer = z.object({ url: z.string().describe('LINE’s account-link page, to open in the browser') });
