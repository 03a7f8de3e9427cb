import { createECDH, randomBytes, randomUUID, type ECDH } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

// http_ece (web-push's own encryption) has no types; it decrypts what a browser would.
const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(buffer: Buffer, params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string }): Buffer;
};

/** How the push service answers from now on: takes the push, or says the subscription is gone, or is down. */
export type PushBehaviour = 201 | 404 | 410 | 429 | 500;

export interface ReceivedPush {
  subscription: string;
  /** The decrypted payload, as the service worker's `push` event would see it. */
  payload: { title: string; body: string; url: string };
  headers: { ttl: string | undefined; topic: string | undefined; urgency: string | undefined; authorization: string | undefined };
}

export interface TestSubscription {
  id: string;
  /** What PushSubscription.toJSON() gives in a browser. */
  json: { endpoint: string; keys: { p256dh: string; auth: string } };
}

export interface TestPushService {
  /** The service's self-signed certificate (PEM file), for PUSH_CA_FILE. */
  caFile: string;
  /** PUSH_SERVICE_HOSTS for this service. */
  host: string;
  /** A new browser subscription at this service, with keys of its own. */
  subscribe(): TestSubscription;
  /** Pushes the service took (answered 201), decrypted, in arrival order. */
  received: ReceivedPush[];
  /** Every request, taken or not, by subscription id. */
  attempts: string[];
  /** For one subscription, or (without an id) for all, forgetting what single ones were told. */
  behave(behaviour: PushBehaviour, subscriptionId?: string): void;
  close(): Promise<void>;
}

/**
 * A stand-in push service (as FCM or Mozilla's autopush answer): HTTPS on a free local port with a certificate made
 * for this run, one endpoint per subscription, each answering as told.
 */
export async function startPushService(): Promise<TestPushService> {
  const dir = mkdtempSync(path.join(tmpdir(), 'push-service-'));
  const [keyFile, caFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', keyFile, '-out', caFile], { stdio: 'ignore' });
  const subscriptions = new Map<string, { ecdh: ECDH; auth: string }>();
  const behaviours = new Map<string | undefined, PushBehaviour>();
  const received: ReceivedPush[] = [];
  const attempts: string[] = [];

  const server: Server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
      const subscription = id ? subscriptions.get(id) : undefined;
      if (req.method !== 'POST' || !id || !subscription) return res.writeHead(404).end();
      attempts.push(id);
      const status = behaviours.get(id) ?? behaviours.get(undefined) ?? 201;
      if (status === 201) {
        const payload = ece.decrypt(Buffer.concat(chunks), { version: 'aes128gcm', privateKey: subscription.ecdh, authSecret: subscription.auth });
        const h = (name: string) => req.headers[name] as string | undefined;
        received.push({
          subscription: id,
          payload: JSON.parse(payload.toString('utf8')) as ReceivedPush['payload'],
          headers: { ttl: h('ttl'), topic: h('topic'), urgency: h('urgency'), authorization: h('authorization') },
        });
      }
      res.writeHead(status, { location: `/messages/${randomUUID()}` }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    caFile,
    host: 'localhost',
    received,
    attempts,
    subscribe() {
      const id = randomUUID();
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      subscriptions.set(id, { ecdh, auth });
      return { id, json: { endpoint: `https://localhost:${port}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } } };
    },
    behave(behaviour, subscriptionId) {
      if (subscriptionId === undefined) behaviours.clear();
      behaviours.set(subscriptionId, behaviour);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
