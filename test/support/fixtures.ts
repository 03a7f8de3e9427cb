import { expect } from 'vitest';
import type { TestPlatform, TestTenant } from './platform.js';

/**
 * Gives a tenant at least one row in every tenant table, through the API as its users would. A new table
 * makes the cross-tenant test fail until the module that owns it adds its rows here.
 */
export async function populateTenant(platform: TestPlatform, tenant: TestTenant): Promise<void> {
  const as = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, token: string | undefined = tenant.ownerToken) =>
    platform.call(tenant, { method, url, payload, token });
  const ok = async (p: ReturnType<typeof as>, status: number) => {
    const res = await p;
    expect(res.statusCode, `${res.body}`).toBe(status);
    return res.json();
  };

  await ok(as('POST', '/api/staff', { email: `desk@${tenant.slug}.example.com`, displayName: 'Front Desk', role: 'front_desk' }), 201);
  await ok(as('POST', '/api/api-keys', { name: 'integration', role: 'manager' }), 201);
  const lead = await ok(as('POST', '/api/members', { familyName: '山田', givenName: '太郎', familyNameKana: 'ヤマダ', phone: '090-0000-0001', acceptedTermsVersion: '2026-04' }), 201);
  const child = await ok(as('POST', '/api/members', { familyName: '山田', givenName: '次郎' }), 201);
  await ok(as('PUT', `/api/members/${child.id}/family-lead`, { leadId: lead.id }), 200);
  await as('POST', '/api/auth/password-reset', { email: tenant.ownerEmail }, undefined);
  const failed = await as('POST', '/api/auth/login', { email: tenant.ownerEmail, password: 'wrong password!' }, undefined);
  expect(failed.statusCode).toBe(401);
}
