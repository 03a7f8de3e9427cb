import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, errorCatalog, type ErrorCode } from '../errors.js';

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
    reason: z.string().optional().describe('Where a code has several causes, which one (email_domain_blocked: disposable_domain or blocked_by_studio; a refused check-in: invalid_token, expired_token, other_studio, no_reservation, …)'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type Problem = z.infer<typeof problemSchema>;

/** What a problem needs of its request: errors raised before a request exists (a bad header) make one up. */
type RequestRef = Pick<FastifyRequest, 'url' | 'id'>;

export function problem(code: ErrorCode, detail: string, req: RequestRef, extra: Record<string, unknown> = {}): Problem {
  const { status, title } = errorCatalog[code];
  return { type: `urn:studiohive:problem:${code}`, title, status, detail, instance: req.url, code, requestId: req.id, ...extra };
}

export function sendProblem(reply: FastifyReply, body: Problem, headers: Record<string, string> = {}) {
  return reply.code(body.status).headers(headers).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(body);
}

export interface InputIssue {
  location: string;
  path: string;
  message?: string;
}

/** The detail of a validation failure: every issue on one line, where it is first. */
export const summariseIssues = (issues: InputIssue[]) =>
  issues.map((e) => `${e.location}${e.path === '(root)' ? '' : `.${e.path}`}: ${e.message}`).join('; ');

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

/** PostgreSQL errors a client can cause despite validation, and overload; anything else stays a 500. */
function fromPostgres(error: { code?: string; message?: string }): { code: ErrorCode; detail: string } | null {
  if (error.message === 'timeout exceeded when trying to connect') {
    return { code: 'unavailable', detail: 'The database is busy; retry the request' };
  }
  switch (error.code) {
    case '23505':
      return { code: 'conflict', detail: 'A record with the same unique value already exists' };
    case '23503':
      return { code: 'conflict', detail: 'The change refers to a record that does not exist or is still in use' };
    case '23514':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
    case '22P02':
      return { code: 'unprocessable', detail: 'A value is out of the allowed range or format' };
    case '40001':
    case '40P01':
    case '55P03':
    case '57014':
      return { code: 'unavailable', detail: 'The database is busy; retry the request' };
    default:
      return null;
  }
}

/** The one place that turns any thrown error into problem+json. */
export function handleError(error: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    const retryAfter = error.extra.retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    const { retryAfterSeconds: _omit, ...extra } = error.extra;
    if (error.status >= 500) req.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem(error.code, error.message, req, extra), headers);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((issue) => ({
      location: error.validationContext ?? 'body',
      path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)',
      message: issue.message,
    }));
    return sendProblem(reply, problem('validation_failed', summariseIssues(errors), req, { errors }));
  }
  if (isResponseSerializationError(error)) {
    req.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
    return sendProblem(reply, problem('internal', 'The server could not produce a valid response', req));
  }
  const pgProblem = fromPostgres(error as { code?: string; message?: string });
  if (pgProblem) {
    req.log.warn({ err: error }, 'database refused a request');
    return sendProblem(reply, problem(pgProblem.code, pgProblem.detail, req));
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) {
    return sendProblem(reply, problem(codeByStatus[status] ?? 'bad_request', error.message, req));
  }
  if (status === 503) return sendProblem(reply, problem('unavailable', 'The server is shutting down; retry', req));
  req.log.error({ err: error }, 'unhandled error');
  return sendProblem(reply, problem('internal', 'Something went wrong on our side; the request id identifies it', req));
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
  const detail =
    code === 'headers_too_large'
      ? 'The request line and headers exceed 16 KB; send long values in the body'
      : code === 'request_timeout'
        ? 'The request headers did not arrive in time'
        : 'The request is not valid HTTP';
  if (socket.writable) {
    const id = randomUUID();
    const body = JSON.stringify(problem(code, detail, { url: `urn:uuid:${id}`, id }));
    const { status } = errorCatalog[code];
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function handleNotFound(req: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, problem('not_found', `No route ${req.method} ${req.url.split('?')[0]}`, req));
}
