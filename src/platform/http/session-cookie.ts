import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';

/**
 * Browser sessions live in HttpOnly cookies, out of reach of any script the page runs; API clients and API keys
 * keep sending `Authorization: Bearer`. Staff and member sessions have a cookie each, so one browser can be
 * signed in to both apps; the member app's routes (/api/me…, /api/member-auth…) read the member's.
 *
 * A cookie is sent by the browser on its own, so a write authenticated by one must prove it comes from the app:
 * it carries the X-Studiohive-CSRF header, which a page of another origin cannot add without a CORS preflight
 * that this server never grants. SameSite=Lax keeps the cookie off cross-site posts as well.
 */
export type SessionRealm = 'staff' | 'member';
export const SESSION_COOKIE: Record<SessionRealm, string> = { staff: 'studiohive_staff', member: 'studiohive_member' };
export const CSRF_HEADER = 'x-studiohive-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const realmOfUrl = (url: string): SessionRealm => (/^\/api\/(me|member-auth)(\/|\?|$)/.test(url) ? 'member' : 'staff');

/** The session secret of the request's cookie for its realm, if any. */
export function cookieSession(req: FastifyRequest): string | null {
  const value = req.cookies?.[SESSION_COOKIE[realmOfUrl(req.url)]];
  return value ? value : null;
}

/** A write authenticated by a cookie must come from the app itself. */
export function checkCsrf(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method)) return;
  if (!req.headers[CSRF_HEADER]) throw new AppError('forbidden', text('platform.csrf_header', { header: CSRF_HEADER }));
}

export interface CookieSettings {
  secure: boolean;
  maxAgeSeconds: Record<SessionRealm, number>;
}

export function setSessionCookie(reply: FastifyReply, realm: SessionRealm, token: string, settings: CookieSettings): void {
  void reply.setCookie(SESSION_COOKIE[realm], token, {
    httpOnly: true,
    secure: settings.secure,
    sameSite: 'lax',
    path: '/api',
    maxAge: settings.maxAgeSeconds[realm],
  });
}

export function clearSessionCookie(reply: FastifyReply, realm: SessionRealm, settings: CookieSettings): void {
  void reply.clearCookie(SESSION_COOKIE[realm], { httpOnly: true, secure: settings.secure, sameSite: 'lax', path: '/api' });
}
