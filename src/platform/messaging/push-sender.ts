import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import webpush, { WebPushError } from 'web-push';
import type { Config } from '../../config.js';
import type { ChannelSender } from './channels.js';

/** The VAPID key pair that signs this deployment's pushes, and who push services may contact about them. */
export interface PushKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

type KeyConfig = Pick<Config, 'VAPID_PUBLIC_KEY' | 'VAPID_PRIVATE_KEY' | 'VAPID_SUBJECT' | 'DATABASE_URL' | 'DATA_DIR' | 'MAIL_FROM' | 'BASE_DOMAIN'>;

/**
 * The configured key pair; else, for the embedded database (`npm start` with nothing set), a pair made once and kept
 * beside the other local secrets in DATA_DIR, so subscriptions made yesterday still work; else null: push is off.
 * A new pair would orphan every subscription (push services refuse another key), so the file is never rewritten.
 */
export async function loadPushKeys(config: KeyConfig): Promise<PushKeys | null> {
  const subject = config.VAPID_SUBJECT ?? `mailto:${config.MAIL_FROM ?? `no-reply@${config.BASE_DOMAIN}`}`;
  if (config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY) return { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY, subject };
  if (config.DATABASE_URL) return null;
  const file = path.join(config.DATA_DIR, 'vapid.json');
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { publicKey: string; privateKey: string };
    return { publicKey: stored.publicKey, privateKey: stored.privateKey, subject };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const made = webpush.generateVAPIDKeys();
  await mkdir(config.DATA_DIR, { recursive: true });
  // 'wx': a second process starting at the same moment must not replace the pair the first one handed out.
  await writeFile(file, JSON.stringify(made, null, 2), { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const kept = JSON.parse(await readFile(file, 'utf8')) as { publicKey: string; privateKey: string };
  return { publicKey: kept.publicKey, privateKey: kept.privateKey, subject };
}

/**
 * Push services take about 4 KB of encrypted payload; a notification shows a few lines anyway. The body is cut (with
 * an ellipsis) to fit, where a longer one would fail on every attempt.
 */
const PAYLOAD_MAX_BYTES = 3800;
export function pushPayload(title: string, body: string, url: string): string {
  let text = body;
  for (;;) {
    const json = JSON.stringify({ title, body: text, url });
    const over = Buffer.byteLength(json) - PAYLOAD_MAX_BYTES;
    if (over <= 0 || text.length <= 1) return json;
    // A character takes up to 3 bytes in JSON (kana, kanji): cut at least that much, then check again.
    text = `${text.slice(0, Math.max(0, text.length - Math.ceil(over / 3) - 2))}…`;
  }
}

/** Every device of the member is gone or refuses for good: the message goes by mail instead. */
export class NoPushDevice extends Error {
  constructor(detail: string) {
    super(`No device took the push: ${detail}`);
    this.name = 'NoPushDevice';
  }
}

/** What the push service answered (its status and words), for the outbox's last error. */
const describe = (error: unknown) =>
  error instanceof WebPushError ? `${error.statusCode} ${error.body ?? ''}`.trim() : error instanceof Error ? error.message : String(error);
const statusOf = (error: unknown) => (error instanceof WebPushError ? error.statusCode : null);
/** The push service forgot the subscription (the member unsubscribed, the browser's data was cleared). */
const isGone = (error: unknown) => [404, 410].includes(statusOf(error) ?? 0);
/** A throttle, the service's own trouble or no answer: the same request may go through later. */
const isTransient = (error: unknown) => {
  const status = statusOf(error);
  return status === null || status === 429 || status >= 500;
};

export interface PushSenderOptions {
  /** Extra certificates trusted for push services (PUSH_CA_FILE, read once). */
  ca?: string;
  timeoutMs: number;
}

/**
 * Web Push: a `push` row's to_address is a member id, and the message goes to each device the member subscribed.
 * The Topic header is derived from the outbox row, so a push sent again after a crash replaces the undelivered
 * first one on the push service instead of arriving twice. A device the service says is gone is forgotten.
 */
export function pushSender(keys: PushKeys, options: PushSenderOptions): ChannelSender {
  // A `ca` replaces the system's roots, so the extra certificates are added to them.
  const agent = new https.Agent({ keepAlive: true, ...(options.ca ? { ca: [...tls.rootCertificates, options.ca] } : {}) });
  return {
    async send(message, { inTenant }) {
      const devices = await inTenant((trx) =>
        trx.selectFrom('app.push_subscriptions').select(['id', 'endpoint', 'p256dh', 'auth']).where('member_id', '=', message.to_address).execute(),
      );
      const { optional } = message;
      if (devices.length === 0) throw new NoPushDevice('the member has no subscribed device');
      const payload = pushPayload(message.subject, message.body, message.link ?? '/member');
      const topic = createHash('sha256').update(message.id).digest('base64url').slice(0, 32);
      const results = await Promise.allSettled(
        devices.map((d) =>
          webpush.sendNotification({ endpoint: d.endpoint, keys: { p256dh: d.p256dh, auth: d.auth } }, payload, {
            vapidDetails: keys,
            TTL: 86_400,
            topic,
            urgency: optional ? 'normal' : 'high',
            agent,
            timeout: options.timeoutMs,
          }),
        ),
      );
      const gone = devices.filter((_, i) => results[i]!.status === 'rejected' && isGone((results[i] as PromiseRejectedResult).reason));
      if (gone.length > 0) await inTenant((trx) => trx.deleteFrom('app.push_subscriptions').where('id', 'in', gone.map((d) => d.id)).execute());
      if (results.some((r) => r.status === 'fulfilled')) return {};
      const errors = results.map((r) => (r as PromiseRejectedResult).reason as unknown);
      const transient = errors.find(isTransient);
      // A device out of reach for now: try again later.
      if (transient) throw new Error(`Push service: ${describe(transient)}`, { cause: transient });
      throw new NoPushDevice(errors.map(describe).join('; '));
    },
    permanent: (error) => error instanceof NoPushDevice,
    failure: (error) => (error instanceof NoPushDevice ? 'no_push_device' : 'provider_unavailable'),
    close: () => agent.destroy(),
  };
}
