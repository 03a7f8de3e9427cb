import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import type { Config } from '../../config.js';
import { asLocale, render, text } from '../i18n.js';
import type { ChannelSender } from './channels.js';

export type LineConfig = Pick<Config, 'LINE_API_URL' | 'MAIL_SEND_TIMEOUT_MS'>;

/** LINE's Messaging API as one studio's channel (its access token), at LINE_API_URL. */
export const lineApi = (config: Pick<Config, 'LINE_API_URL'>, channelAccessToken: string) =>
  new messagingApi.MessagingApiClient({ baseURL: config.LINE_API_URL, channelAccessToken });

/** LINE refused or failed a call: its status and its own words (kept as the outbox row's last error). */
export class LineApiError extends Error {
  constructor(readonly status: number, body: string) {
    super(`LINE ${status}: ${body.slice(0, 500)}`);
    this.name = 'LineApiError';
  }
}

class LineNotConnected extends Error {
  constructor() {
    super('the studio has no LINE channel connected');
  }
}

class LineTimeout extends Error {}

/**
 * A LINE API call that gives up after `ms` (the SDK's fetch has no timeout) and whose refusal carries LINE's body.
 * A call given up on may still arrive: the retry key makes the next attempt of a push harmless.
 */
export async function callLine<T>(ms: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LineTimeout(`LINE did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call(), timeout]);
  } catch (error) {
    if (error instanceof HTTPFetchError) throw new LineApiError(error.status, error.body);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** LINE's limits: a text message holds 5,000 characters, a flex message's alt text 400, a button label 40. */
const clip = (value: string, max: number) => (value.length <= max ? value : `${value.slice(0, max - 1)}…`);

/** The message LINE shows: the subject and body, with a button to the link when the message leads somewhere. */
export function lineMessage(message: { subject: string; body: string; link: string | null }, buttonLabel: string): messagingApi.Message {
  if (!message.link) return { type: 'text', text: clip(`${message.subject}\n\n${message.body}`, 5000) };
  return {
    type: 'flex',
    altText: clip(message.subject, 400),
    contents: {
      type: 'bubble',
      body: {
        type: 'box',
        layout: 'vertical',
        spacing: 'md',
        contents: [
          { type: 'text', text: clip(message.subject, 2000), weight: 'bold', wrap: true },
          { type: 'text', text: clip(message.body, 5000), wrap: true, size: 'sm' },
        ],
      },
      footer: {
        type: 'box',
        layout: 'vertical',
        contents: [{ type: 'button', style: 'primary', action: { type: 'uri', label: clip(buttonLabel, 40), uri: message.link } }],
      },
    },
  };
}

/**
 * LINE push messages from the studio's own Official Account. The outbox row's id is the X-Line-Retry-Key: a push
 * sent again after a crash is dropped by LINE, which answers 409 (it already accepted it: sent). A user who is
 * not a friend or blocked the account (400, 403), a revoked token (401) or a studio without a channel will not
 * change on a retry, so the message fails at once and goes by mail instead.
 */
export function lineSender(config: LineConfig): ChannelSender {
  return {
    async send(message, { tenant, inTenant }) {
      const channel = await inTenant((trx) => trx.selectFrom('app.line_channels').select('access_token').executeTakeFirst());
      if (!channel) throw new LineNotConnected();
      // The button is in the language the message was written in (its recipient's).
      const label = render(text('line.message.open'), asLocale(message.locale ?? tenant.locale));
      const client = lineApi(config, channel.access_token);
      try {
        const answer = await callLine(config.MAIL_SEND_TIMEOUT_MS, () =>
          client.pushMessage({ to: message.to_address, messages: [lineMessage(message, label)] }, message.id),
        );
        return { providerMessageId: answer.sentMessages[0]?.id ?? null };
      } catch (error) {
        if (error instanceof LineApiError && error.status === 409) return {};
        throw error;
      }
    },
    permanent: (error) => error instanceof LineNotConnected || (error instanceof LineApiError && [400, 401, 403, 404].includes(error.status)),
    failure(error) {
      if (error instanceof LineNotConnected) return 'line_not_connected';
      if (error instanceof LineApiError && error.status === 401) return 'line_token_rejected';
      // Not a friend of the account, or it blocked it.
      if (error instanceof LineApiError && [400, 403, 404].includes(error.status)) return 'line_user_unreachable';
      return 'provider_unavailable';
    },
  };
}
