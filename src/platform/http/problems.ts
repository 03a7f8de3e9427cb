import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isStalePlan } from '../db/databases.js';
import { AppError, errorCatalog, type ErrorCode } from '../errors.js';
import { DEFAULT_LOCALE, isMessageId, render, requestLocale, text, type Locale, type Text } from '../i18n.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ location: z.string(), path: z.string(), message: z.string() })).optional(),
    limit: z.string().optional().describe('quota_exceeded: the limit that refused the request (tenant.members, tenant.locations, tenant.staff, tenant.storage_bytes); rate_limited: tenant.api_requests_per_minute'),
    usage: z.number().optional().describe('quota_exceeded: how much of the limit is in use'),
    max: z.number().optional().describe('quota_exceeded, rate_limited: the limit itself'),
    headers: z.array(z.string()).optional().describe('validation_failed on a member import whose columns could not be matched: the headers of the file, to choose from'),
    mapping: z.record(z.string(), z.string()).optional().describe('validation_failed on a member import: the mapping it tried (the one sent, or the columns it recognised)'),
    reason: z.string().optional().describe('Where a code has several causes, which one (email_domain_blocked: disposable_domain or blocked_by_studio; a refused check-in: invalid_token, expired_token, other_studio, no_reservation, …)'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type Problem = z.infer<typeof problemSchema>;

/**
 * What a problem needs of its request: where it was asked, and in which language and time zone to answer
 * (the person's choice, else the studio's; errors raised before a request exists, a bad header, make one up).
 */
interface RequestRef {
  url: string;
  id: string;
  locale: Locale;
  timeZone?: string;
}

export const requestRef = (req: FastifyRequest): RequestRef => ({
  url: req.url,
  id: req.id,
  locale: requestLocale(req.raw, req.tenantLocale),
  timeZone: req.tenantTimeZone ?? undefined,
});

/** A problem in the reader's language; a detail given as a string is already in it. */
export function problem(code: ErrorCode, detail: Text | string, ref: RequestRef, extra: Record<string, unknown> = {}): Problem {
  const { status } = errorCatalog[code];
  const say = (t: Text | string) => (typeof t === 'string' ? t : render(t, ref.locale, ref.timeZone));
  return { type: `urn:studiohive:problem:${code}`, title: say(text(`problems.title.${code}`)), status, detail: say(detail), instance: ref.url, code, requestId: ref.id, ...extra };
}

export function sendProblem(reply: FastifyReply, body: Problem, headers: Record<string, string> = {}) {
  return reply.code(body.status).headers(headers).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(body);
}

/** One thing wrong with an input, in words for the person (a catalog message, or zod's own in the reader's language). */
export interface InputIssue {
  location: string;
  path: string;
  message: Text | ((locale: Locale) => string);
}

/** A validation failure: each issue in the reader's language, and all of them on one line, where each is, as the detail. */
function validationProblem(issues: InputIssue[], ref: RequestRef): Problem {
  const errors = issues.map((e) => ({
    location: e.location,
    path: e.path,
    message: typeof e.message === 'function' ? e.message(ref.locale) : render(e.message, ref.locale, ref.timeZone),
  }));
  const summary = errors.map((e) => `${e.location}${e.path === '(root)' ? '' : `.${e.path}`}: ${e.message}`).join('; ');
  return { ...problem('validation_failed', text('validation.summary', { summary }), ref), errors };
}

const zodLocales = { ja: z.locales.ja().localeError, en: z.locales.en().localeError };

/**
 * A zod issue in the reader's language: a check whose message is a catalog id says that message; a missing
 * value says "required"; anything else is zod's own words in that language.
 */
function zodIssueMessage(issue: z.core.$ZodIssue): InputIssue['message'] {
  if (isMessageId(issue.message)) return text(issue.message);
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return text('validation.required');
  return (locale) => {
    if (locale === 'en') return issue.message;
    const said = zodLocales[locale](issue as never);
    return typeof said === 'string' ? said : (said?.message ?? issue.message);
  };
}

/** A zod issue's message, in the reader's language: for answers that list issues of their own (an import's rows). */
export function issueText(issue: z.core.$ZodIssue, locale: Locale): string {
  const message = zodIssueMessage(issue);
  return typeof message === 'function' ? message(locale) : render(message, locale);
}

const codeByStatus: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  431: 'headers_too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

/** A write refused during a move's copy is tried again after this long: a small studio's copy takes seconds. */
const MOVE_RETRY_SECONDS = 5;

/** PostgreSQL errors a client can cause despite validation, and overload; anything else stays a 500. */
function fromPostgres(error: { code?: string; message?: string }): { code: ErrorCode; detail: Text; retryAfterSeconds?: number } | null {
  // A prepared statement gone stale under a newer instance's migration: its connection is closed, a retry works.
  if (error.message === 'timeout exceeded when trying to connect' || isStalePlan(error)) {
    return { code: 'unavailable', detail: text('problems.database_busy') };
  }
  switch (error.code) {
    case '23505':
      return { code: 'conflict', detail: text('problems.duplicate') };
    case '23503':
      return { code: 'conflict', detail: text('problems.reference_missing') };
    case '23514':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
    case '22P02':
      return { code: 'unprocessable', detail: text('problems.out_of_range') };
    // A write while a move copies the studio's rows (app.enter_tenant made the transaction read only): reads go on.
    case '25006':
      return { code: 'unavailable', detail: text('platform.studio_moving'), retryAfterSeconds: MOVE_RETRY_SECONDS };
    // The studio has just moved to another database; this instance has forgotten the old place, a retry finds it.
    case 'SHM01':
      return { code: 'unavailable', detail: text('platform.studio_moved'), retryAfterSeconds: 1 };
    case '40001':
    case '40P01':
    case '55P03':
    case '57014':
      return { code: 'unavailable', detail: text('problems.database_busy') };
    default:
      return null;
  }
}

/** The one place that turns any thrown error into problem+json. */
export function handleError(error: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  const ref = requestRef(req);
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    const retryAfter = error.extra.retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    const { retryAfterSeconds: _omit, ...extra } = error.extra;
    if (error.status >= 500) req.log.error({ err: error }, 'request failed');
    if (error.code === 'validation_failed' && Array.isArray(extra.issues)) {
      const { issues, ...rest } = extra;
      return sendProblem(reply, { ...validationProblem(issues as InputIssue[], ref), ...rest });
    }
    return sendProblem(reply, problem(error.code, error.detail, ref, extra), headers);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      location: error.validationContext ?? 'body',
      path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)',
      // fastify-type-provider-zod spreads the zod issue into params, its code into keyword: put it back together.
      message: zodIssueMessage({ ...issue.params, code: issue.keyword, message: issue.message ?? '', path: [] } as unknown as z.core.$ZodIssue),
    }));
    return sendProblem(reply, validationProblem(issues, ref));
  }
  if (isResponseSerializationError(error)) {
    req.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
    return sendProblem(reply, problem('internal', text('problems.invalid_response'), ref));
  }
  const pgProblem = fromPostgres(error as { code?: string; message?: string });
  if (pgProblem) {
    req.log.warn({ err: error }, 'database refused a request');
    const headers: Record<string, string> = pgProblem.retryAfterSeconds ? { 'retry-after': String(pgProblem.retryAfterSeconds) } : {};
    return sendProblem(reply, problem(pgProblem.code, pgProblem.detail, ref), headers);
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) {
    // Fastify's own refusals (a body that is not JSON, a wrong content type) come with English words only.
    // In English they are passed on; in Japanese the code's title says what it can.
    const code = codeByStatus[status] ?? 'bad_request';
    return sendProblem(reply, problem(code, ref.locale === 'en' ? error.message : text(`problems.title.${code}`), ref));
  }
  if (status === 503) return sendProblem(reply, problem('unavailable', text('problems.shutting_down'), ref));
  req.log.error({ err: error }, 'unhandled error');
  return sendProblem(reply, problem('internal', text('problems.internal'), ref));
}

/**
 * Answers what Node's HTTP parser refuses before there is a request (headers over the limit, a malformed request
 * line, a client too slow to send its headers): problem+json like every other answer, then the connection closes.
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket) {
  // A reset connection has nobody to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'bad_request';
  const detail = text(code === 'headers_too_large' ? 'problems.headers_too_large' : code === 'request_timeout' ? 'problems.headers_timeout' : 'problems.not_http');
  if (socket.writable) {
    const id = randomUUID();
    const body = JSON.stringify(problem(code, detail, { url: `urn:uuid:${id}`, id, locale: DEFAULT_LOCALE }));
    const { status } = errorCatalog[code];
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function handleNotFound(req: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, problem('not_found', text('problems.no_route', { method: req.method, url: req.url.split('?')[0]! }), requestRef(req)));
}
