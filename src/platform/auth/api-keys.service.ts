import { notFound } from '../errors.js';
import type { StaffRole } from '../db/types.js';
import type { TenantContext } from '../tenancy/context.js';
import { newSecret } from './secrets.js';
import { apiKeysRepo } from './staff.repo.js';

type ApiKeyRow = Awaited<ReturnType<typeof apiKeysRepo.list>>[number];

const toApiKeyDto = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  createdBy: k.created_by,
  createdAt: k.created_at.toISOString(),
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
});

export const apiKeysService = {
  list: async (ctx: TenantContext) => ({ items: (await apiKeysRepo.list(ctx.db)).map(toApiKeyDto) }),

  /** The secret is shown once, here; only its hash is stored. */
  async create(ctx: TenantContext, input: { name: string; role: StaffRole }) {
    const secret = newSecret('shk');
    const row = await apiKeysRepo.insert(ctx.db, {
      name: input.name,
      role: input.role,
      prefix: secret.token.slice(0, 12),
      key_hash: secret.hash,
      created_by: ctx.principal?.kind === 'staff' ? ctx.principal.staffId : null,
    });
    return { ...toApiKeyDto(row), key: secret.token };
  },

  async get(ctx: TenantContext, id: string) {
    const row = await apiKeysRepo.byId(ctx.db, id);
    if (!row) throw notFound('platform.thing.api_key');
    return toApiKeyDto(row);
  },

  async revoke(ctx: TenantContext, id: string) {
    const row = await apiKeysRepo.revoke(ctx.db, id);
    if (!row) throw notFound('platform.thing.api_key');
    return toApiKeyDto(row);
  },
};
