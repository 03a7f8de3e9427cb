import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the parts of LINE the app uses, close enough that @line/bot-sdk talks to it unchanged: the
 * Messaging API (link tokens, push and reply, each checking the bearer token and the request's shape and answering
 * 400 as LINE does), X-Line-Retry-Key (a key seen before answers 409), the account-link dialog a member approves
 * on, and webhook deliveries signed with the channel secret.
 */
export interface StandInLine {
  /** Pass as LINE_API_URL and LINE_ACCESS_URL. */
  url: string;
  channel: { channelId: string; channelSecret: string; accessToken: string; basicId: string };
  /** Push messages LINE accepted (a replay under a used retry key is not one). */
  pushes: Push[];
  replies: Array<{ replyToken: string; messages: Message[] }>;
  /** Every request to the Messaging API, for counting (including refused ones). */
  requests: Array<{ endpoint: string; status: number; retryKey: string | null }>;
  /** The next n pushes answer this status (500: an outage, not remembered; 400: not a friend; 403; 429). */
  failPushes(n: number, status: number): void;
  /** Pushes to this user answer 400, as to someone who never added the account or blocked it. */
  block(userId: string): void;
  /** A new LINE user id, as LINE gives them. */
  newUser(): string;
  /** Webhook events as LINE sends them (each with its own webhookEventId and, where LINE gives one, a reply token). */
  event: {
    follow(userId: string): WebhookEvent;
    message(userId: string, text: string): WebhookEvent;
    unfollow(userId: string): WebhookEvent;
    accountLink(userId: string, nonce: string, result?: 'ok' | 'failed'): WebhookEvent;
  };
  /** The body and X-Line-Signature LINE would deliver; `secret` to sign with another (wrong) secret. */
  signed(events: WebhookEvent[], secret?: string): { body: string; signature: string };
  /** Where the account-link dialog delivers its accountLink event (the app's webhook): set by the test. */
  deliverWebhook: ((body: string, signature: string) => Promise<number>) | null;
  /** What the dialog does on approval: the accountLink event for the link token's user, delivered; its status. */
  approve(dialogUrl: string): Promise<number>;
  close(): Promise<void>;
}

export interface Push {
  to: string;
  messages: Message[];
  retryKey: string | null;
}
type Message = { type: string; text?: string; altText?: string; contents?: unknown; template?: unknown };
export type WebhookEvent = Record<string, unknown> & { type: string; webhookEventId: string };

const USER = /^U[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** LINE's checks of a message object, the ones a mistake of ours would trip. */
function messageProblem(m: unknown): string | null {
  if (typeof m !== 'object' || m === null) return 'message must be an object';
  const msg = m as Message;
  if (msg.type === 'text') return typeof msg.text === 'string' && msg.text.length >= 1 && msg.text.length <= 5000 ? null : 'text must be 1-5000 characters';
  if (msg.type === 'flex' || msg.type === 'template') {
    if (typeof msg.altText !== 'string' || msg.altText.length < 1 || msg.altText.length > 400) return 'altText must be 1-400 characters';
    if (msg.type === 'flex') return typeof msg.contents === 'object' && msg.contents !== null ? null : 'contents is required';
    const t = msg.template as { type?: string; text?: string; actions?: Array<{ type?: string; label?: string; uri?: string }> } | undefined;
    if (t?.type !== 'buttons' || typeof t.text !== 'string' || t.text.length > 160) return 'buttons template text must be at most 160 characters';
    if (!t.actions?.length || t.actions.some((a) => a.type !== 'uri' || !a.label || a.label.length > 20 || !/^https?:\/\//.test(a.uri ?? ''))) return 'invalid action';
    return null;
  }
  return `unsupported message type ${String(msg.type)}`;
}

export async function startStandInLine(): Promise<StandInLine> {
  const channel = {
    channelId: '1650000000',
    channelSecret: randomBytes(16).toString('hex'),
    accessToken: randomBytes(60).toString('base64').replace(/[^A-Za-z0-9]/g, 'x'),
    basicId: '@studio123',
  };
  const pushes: Push[] = [];
  const replies: StandInLine['replies'] = [];
  const requests: StandInLine['requests'] = [];
  const retryKeys = new Set<string>();
  const linkTokens = new Map<string, string>();
  const replyTokens = new Set<string>();
  const blocked = new Set<string>();
  const failing = { n: 0, status: 500 };
  let sequence = 0;

  const state = { deliverWebhook: null as StandInLine['deliverWebhook'] };

  const newEvent = (type: string, userId: string, extra: Record<string, unknown> = {}, reply = true): WebhookEvent => {
    const replyToken = reply ? randomBytes(16).toString('hex') : undefined;
    if (replyToken) replyTokens.add(replyToken);
    return {
      type,
      mode: 'active',
      // Fixed: the app does not read it, and a test never depends on today's date.
      timestamp: 1_700_000_000_000 + ++sequence,
      webhookEventId: `01H${randomBytes(12).toString('hex').toUpperCase()}`,
      deliveryContext: { isRedelivery: false },
      source: { type: 'user', userId },
      ...(replyToken ? { replyToken } : {}),
      ...extra,
    };
  };
  const signed: StandInLine['signed'] = (events, secret = channel.channelSecret) => {
    const body = JSON.stringify({ destination: `U${randomBytes(16).toString('hex')}`, events });
    return { body, signature: createHmac('sha256', secret).update(body).digest('base64') };
  };

  const approve = async (dialogUrl: string) => {
    const url = new URL(dialogUrl);
    const userId = linkTokens.get(url.searchParams.get('linkToken') ?? '');
    const nonce = url.searchParams.get('nonce');
    if (!userId || !nonce) return 400;
    linkTokens.delete(url.searchParams.get('linkToken')!);
    if (!state.deliverWebhook) throw new Error('stand-in LINE: set deliverWebhook first');
    const { body, signature } = signed([newEvent('accountLink', userId, { link: { result: 'ok', nonce } })]);
    return state.deliverWebhook(body, signature);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://line.test');
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json', ...headers });
          res.end(typeof body === 'string' ? body : JSON.stringify(body));
        };
        // The account-link dialog: LINE's page where the member approves, then LINE tells the app.
        if (url.pathname === '/dialog/bot/accountLink') {
          if (req.method === 'GET') {
            const known = linkTokens.has(url.searchParams.get('linkToken') ?? '') && url.searchParams.get('nonce');
            if (!known) return send(400, '<!doctype html><html lang="en"><title>LINE</title><main><h1>Invalid link</h1></main></html>');
            return send(200, `<!doctype html><html lang="en"><title>LINE</title><main><h1>Link accounts</h1>
<form method="post" action="${url.pathname}${url.search.replace(/&/g, '&amp;')}"><button type="submit">Approve</button></form></main></html>`);
          }
          const status = await approve(`http://line.test${url.pathname}${url.search}`);
          return send(200, `<!doctype html><html lang="en"><title>LINE</title><main><h1>${status === 200 ? 'Linked' : `Failed ${status}`}</h1></main></html>`);
        }

        const endpoint = `${req.method} ${url.pathname.replace(/\/U[0-9a-f]{32}\//, '/:userId/')}`;
        const retryKey = (req.headers['x-line-retry-key'] as string | undefined) ?? null;
        const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          requests.push({ endpoint, status, retryKey });
          send(status, body, headers);
        };
        if (req.headers.authorization !== `Bearer ${channel.accessToken}`) return answer(401, { message: 'Authentication failed. Confirm that the access token in the authorization header is valid.' });
        let body: Record<string, unknown> = {};
        if (req.method === 'POST' && chunks.length > 0) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            return answer(400, { message: 'The request body has 1 error(s)' });
          }
        }
        // The account the token belongs to (LINE's getBotInfo), as the app checks a token when staff connect it.
        if (req.method === 'GET' && url.pathname === '/v2/bot/info') {
          return answer(200, { userId: `U${'0'.repeat(32)}`, basicId: channel.basicId, displayName: 'Studio', chatMode: 'bot', markAsReadMode: 'auto' });
        }
        const match = /^\/v2\/bot\/user\/([^/]+)\/linkToken$/.exec(url.pathname);
        if (req.method === 'POST' && match) {
          if (!USER.test(match[1]!)) return answer(400, { message: 'Invalid userId' });
          const linkToken = randomBytes(16).toString('base64url');
          linkTokens.set(linkToken, match[1]!);
          return answer(200, { linkToken });
        }
        const messages = body.messages;
        const shapeProblem = () =>
          !Array.isArray(messages) || messages.length < 1 || messages.length > 5 ? 'messages must be 1-5 message objects' : messages.map(messageProblem).find((p) => p !== null) ?? null;
        if (req.method === 'POST' && url.pathname === '/v2/bot/message/push') {
          if (retryKey !== null && !UUID.test(retryKey)) return answer(400, { message: 'The value for the \'X-Line-Retry-Key\' header is invalid' });
          if (retryKey && retryKeys.has(retryKey)) return answer(409, { message: 'The retry key is already accepted', sentMessages: [] }, { 'x-line-accepted-request-id': randomUUID() });
          if (failing.n > 0) {
            failing.n--;
            // LINE remembers a retry key only for a request it processed (not for a 500), as a 4xx is processed.
            if (retryKey && failing.status < 500) retryKeys.add(retryKey);
            return answer(failing.status, { message: failing.status >= 500 ? 'Internal error' : 'Failed to send messages' });
          }
          if (typeof body.to !== 'string' || !USER.test(body.to)) return answer(400, { message: 'The property, \'to\', in the request body is invalid' });
          const problem = shapeProblem();
          if (problem) return answer(400, { message: 'The request body has 1 error(s)', details: [{ message: problem, property: 'messages' }] });
          if (retryKey) retryKeys.add(retryKey);
          if (blocked.has(body.to)) return answer(400, { message: 'Failed to send messages' });
          pushes.push({ to: body.to, messages: messages as Message[], retryKey });
          return answer(200, { sentMessages: (messages as Message[]).map(() => ({ id: String(4e17 + ++sequence), quoteToken: randomBytes(8).toString('hex') })) });
        }
        if (req.method === 'POST' && url.pathname === '/v2/bot/message/reply') {
          const token = body.replyToken;
          if (typeof token !== 'string' || !replyTokens.has(token)) return answer(400, { message: 'Invalid reply token' });
          const problem = shapeProblem();
          if (problem) return answer(400, { message: 'The request body has 1 error(s)', details: [{ message: problem, property: 'messages' }] });
          replyTokens.delete(token);
          replies.push({ replyToken: token, messages: messages as Message[] });
          return answer(200, { sentMessages: [] });
        }
        answer(404, { message: 'Not found' });
      })().catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    channel,
    pushes,
    replies,
    requests,
    failPushes(n, status) {
      failing.n = n;
      failing.status = status;
    },
    block: (userId) => void blocked.add(userId),
    newUser: () => `U${randomBytes(16).toString('hex')}`,
    event: {
      follow: (userId) => newEvent('follow', userId),
      message: (userId, text) => newEvent('message', userId, { message: { type: 'text', id: String(++sequence), text } }),
      unfollow: (userId) => newEvent('unfollow', userId, {}, false),
      accountLink: (userId, nonce, result = 'ok') => newEvent('accountLink', userId, { link: { result, nonce } }),
    },
    signed,
    get deliverWebhook() {
      return state.deliverWebhook;
    },
    set deliverWebhook(fn) {
      state.deliverWebhook = fn;
    },
    approve,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
