import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { text, type Text } from '../i18n.js';
import type { InputIssue } from './problems.js';

type Location = 'params' | 'querystring' | 'body';
type TextIssue = InputIssue & { location: Location };

/**
 * Why a string cannot be stored, or null: PostgreSQL refuses NUL in text (a 500 if it reaches a query), and a lone
 * UTF-16 surrogate is not Unicode at all, so it would be stored as garbage and break every page that shows it.
 */
/** In a `u` regular expression a surrogate pair is one code point, so only a lone half matches. */
const loneSurrogate = /\p{Cs}/u;

function flaw(value: string): Text | null {
  if (value.includes('\u0000')) return text('validation.nul_character');
  if (loneSurrogate.test(value)) return text('validation.lone_surrogate');
  return null;
}

/** Every string in a parsed input, keys included, with the first flaw each has; stops after a few. */
function collect(value: unknown, location: Location, path: string[], issues: TextIssue[]): void {
  if (issues.length >= 20) return;
  const at = () => path.join('.') || '(root)';
  if (typeof value === 'string') {
    const problem = flaw(value);
    if (problem) issues.push({ location, path: at(), message: problem });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => collect(item, location, [...path, String(i)], issues));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const problem = flaw(key);
      if (problem) issues.push({ location, path: [...path, key.replace(/[\u0000\ud800-\udfff]/g, '\ufffd')].join('.'), message: text('validation.bad_key', { flaw: problem }) });
      else collect(item, location, [...path, key], issues);
    }
  }
}

/**
 * Refuses, as a validation failure (400), any request whose path parameters, query or body hold a string that
 * cannot be stored: one check for every route, before its own schema runs, so no route can forget it.
 */
export async function rejectIllFormedText(req: FastifyRequest): Promise<void> {
  const issues: TextIssue[] = [];
  collect(req.params, 'params', [], issues);
  collect(req.query, 'querystring', [], issues);
  collect(req.body, 'body', [], issues);
  if (issues.length === 0) return;
  throw new AppError('validation_failed', undefined, { issues });
}
