import { AsyncLocalStorage } from 'node:async_hooks';
import type { Tx } from '../db/databases.js';
import type { StaffRole, Tenant } from '../db/types.js';
import type { Locale } from '../i18n.js';

/** Who asks: staff and API keys (the staff realm, with a role), or a member (the member realm, no role). */
export type Principal =
  | { kind: 'staff'; staffId: string; role: StaffRole; sessionId: string }
  | { kind: 'api_key'; apiKeyId: string; role: StaffRole }
  | { kind: 'member'; memberId: string; accountId: string; sessionId: string };

export interface RequestInfo {
  requestId: string;
  ip: string;
  userAgent: string | null;
  /** The language of the person asking (their client's choice, else the studio's); a job speaks the studio's. */
  locale: Locale;
}

/** What a tenant request carries: the tenant, its open transaction (tenant already SET LOCAL), and who asks. */
export interface TenantContext {
  tenant: Tenant;
  db: Tx;
  principal: Principal | null;
  request: RequestInfo;
  /** When the request started, from the runtime's clock: every date rule of the request reads this one. */
  now: Date;
  /**
   * Queues a background job once this transaction commits (the job queue is another database, so it cannot join
   * the transaction). A lost kick is harmless: every job queued this way has a sweep that finds its work too.
   */
  queueAfterCommit?: (task: string, payload: Record<string, unknown>, opts?: { jobKey?: string; runAt?: Date }) => void;
}

/** For routes that must not hold a connection across slow work (password hashing): they open their own. */
export interface TenantSession {
  tenant: Tenant;
  request: RequestInfo;
  now: Date;
  transaction<T>(fn: (ctx: TenantContext) => Promise<T>): Promise<T>;
}

interface Store {
  tenant: Tenant;
  requestId: string;
}

const storage = new AsyncLocalStorage<Store>();

export function runWithTenant<T>(tenant: Tenant, requestId: string, fn: () => T): T {
  return storage.run({ tenant, requestId }, fn);
}

export function currentTenant(): Tenant | undefined {
  return storage.getStore()?.tenant;
}
