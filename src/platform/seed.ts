import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Runtime } from './runtime.js';

export interface DemoLogin {
  url: string;
  email: string;
  password: string;
}

const DEMO_SLUG = 'demo';
const DEMO_EMAIL = 'owner@demo.studiohive.test';

/**
 * Creates the demo tenant on first start; its password is made once and kept in the data folder so that every
 * start can print the same working login.
 */
export async function seedDemoTenant(runtime: Runtime): Promise<DemoLogin> {
  const file = path.join(runtime.config.DATA_DIR, 'demo-login.json');
  let password: string;
  try {
    password = (JSON.parse(await readFile(file, 'utf8')) as { password: string }).password;
  } catch {
    password = `demo-${randomBytes(9).toString('base64url')}`;
  }
  const existing = await runtime.directory.bySlug(DEMO_SLUG);
  if (!existing) {
    await runtime.tenants.create({
      slug: DEMO_SLUG,
      displayName: 'Demo Studio',
      tier: 'pool',
      plan: 'standard',
      owner: { email: DEMO_EMAIL, displayName: 'Demo Owner', password },
    });
    await writeFile(file, JSON.stringify({ email: DEMO_EMAIL, password }, null, 2), { mode: 0o600 });
  }
  return { url: runtime.tenantUrl({ slug: DEMO_SLUG }), email: DEMO_EMAIL, password };
}
