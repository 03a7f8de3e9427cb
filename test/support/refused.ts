import type pg from 'pg';
import { expect } from 'vitest';
import { fingerprint } from './cross-tenant.js';

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json(): any;
}

/**
 * Sends a bad request and proves it is refused as problem+json with the status (and detail or reason, when
 * given) and changes none of the tenant's rows. Returns the problem.
 */
export async function expectRefused(
  admin: pg.Client,
  tenantId: string,
  send: Promise<Answer> | (() => Promise<Answer>),
  status: number,
  expected: { detail?: RegExp; reason?: string } = {},
) {
  const before = await fingerprint(admin, tenantId);
  const res = await (typeof send === 'function' ? send() : send);
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (expected.detail) expect(res.json().detail).toMatch(expected.detail);
  if (expected.reason) expect(res.json().reason, res.body).toBe(expected.reason);
  expect(await fingerprint(admin, tenantId)).toBe(before);
  return res.json();
}
