import { ECDH } from 'node:crypto';
import { z } from 'zod';

/** URL-safe base64 (as browsers write a subscription's keys) of exactly `bytes` bytes. */
const base64url = (bytes: number, message: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, message)
    .refine((v) => Buffer.from(v, 'base64url').length === bytes, message);

/** A point of P-256 that encryption can use: 65 random bytes would make every push to the device fail. */
const onCurve = (key: string) => {
  try {
    ECDH.convertKey(Buffer.from(key, 'base64url'), 'prime256v1');
    return true;
  } catch {
    return false;
  }
};

const endpoint = z
  .url({ protocol: /^https$/ })
  .max(2000)
  .describe('The push service URL of the subscription (https)')
  .meta({ example: 'https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b' });

/** What the browser's PushSubscription.toJSON() gives; expirationTime and anything else it adds is ignored. */
export const pushSubscriptionBody = z
  .object({
    endpoint,
    keys: z.object({ p256dh: base64url(65, 'push.bad_p256dh').refine(onCurve, 'push.bad_p256dh'), auth: base64url(16, 'push.bad_auth') }),
  })
  .meta({ id: 'PushSubscriptionBody' });

export const pushEndpointBody = z.object({ endpoint }).strict().meta({ id: 'PushEndpointBody' });

export const pushStateQuery = z.object({ endpoint: endpoint.optional().describe('This device’s subscription, if it has one: is it mine here?') });

export const pushState = z
  .object({
    publicKey: z.string().describe('The VAPID public key to subscribe with (applicationServerKey)'),
    thisDevice: z.boolean().describe('The endpoint asked about is subscribed for me'),
    devices: z.number().int().describe('How many of my devices get notifications'),
  })
  .meta({ id: 'PushState' });
