import { render, text, type MessageId, type Text } from './i18n.js';

/**
 * The one error type of Studiohive. Services throw it with a stable code and words from the message catalogs
 * (src/i18n); the HTTP layer maps it to RFC 9457 problem+json in one place (http/problems.ts), with its title and
 * detail in the language of the person asking. The words are shown to users, so they must be safe.
 * The title of each code is the catalog's `problems.title.<code>`; the English one below is for logs and the CLI.
 */
export const errorCatalog = {
  bad_request: { status: 400, title: 'Bad request' },
  validation_failed: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_credentials: { status: 401, title: 'Email or password is wrong' },
  account_unconfirmed: { status: 403, title: 'Confirm your email address first' },
  forbidden: { status: 403, title: 'Not allowed' },
  not_found: { status: 404, title: 'Not found' },
  tenant_not_found: { status: 404, title: 'Unknown studio' },
  conflict: { status: 409, title: 'Conflict' },
  quota_exceeded: { status: 409, title: 'A limit of the studio\'s plan is reached' },
  tenant_suspended: { status: 403, title: 'This studio is suspended' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  request_timeout: { status: 408, title: 'The request took too long to arrive' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  unprocessable: { status: 422, title: 'The request cannot be carried out' },
  email_domain_blocked: { status: 422, title: 'This email domain cannot be used here' },
  rate_limited: { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'Service unavailable' },
  maintenance: { status: 503, title: 'This studio is under maintenance' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export class AppError extends Error {
  readonly status: number;
  readonly title: string;

  /** What went wrong, in words for the person; the Error's own message is its English rendering, for logs. */
  readonly detail: Text;

  constructor(
    readonly code: ErrorCode,
    detail?: Text,
    readonly extra: Record<string, unknown> = {},
  ) {
    const words = detail ?? text(`problems.title.${code}`);
    super(render(words, 'en'));
    this.name = 'AppError';
    this.detail = words;
    this.status = errorCatalog[code].status;
    this.title = errorCatalog[code].title;
  }
}

/**
 * Not found, naming what: `what` is a catalog message naming the thing (`schedule.thing.lesson`: レッスン / Lesson),
 * rendered inside `problems.not_found` in the reader's language.
 */
export const notFound = (what: MessageId) => new AppError('not_found', text('problems.not_found', { what: text(what) }));

/** A rule refuses the request: 422 with a stable `reason` a client can branch on, and words a person can act on. */
export const refusal = (reason: string, detail: Text, extra: Record<string, unknown> = {}) => new AppError('unprocessable', detail, { reason, ...extra });

/** Runs a write whose unique key may refuse it, and says what clashed instead of the generic conflict. */
export async function unlessDuplicate<T>(write: () => Promise<T>, detail: Text): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new AppError('conflict', detail);
    throw error;
  }
}
