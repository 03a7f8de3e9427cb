import { AppError, notFound } from '../errors.js';
import { text } from '../i18n.js';
import { roleName } from './roles.js';
import type { StaffRole } from '../db/types.js';
import type { TenantContext } from '../tenancy/context.js';
import type { AuthService } from './auth.service.js';
import { sessionsRepo, staffRepo } from './staff.repo.js';
import { assertQuota } from '../limits/quotas.js';
import { twoFactorRepo } from './two-factor.repo.js';

type StaffRow = NonNullable<Awaited<ReturnType<typeof staffRepo.byId>>>;

export const toStaffDto = (s: StaffRow) => ({
  id: s.id,
  email: s.email,
  displayName: s.display_name,
  role: s.role,
  status: s.status,
  createdAt: s.created_at.toISOString(),
  updatedAt: s.updated_at.toISOString(),
});

/** Which roles a role may create or manage: owners manage everyone, managers only the floor staff. */
const manageable: Record<StaffRole, StaffRole[]> = {
  owner: ['owner', 'manager', 'front_desk', 'instructor'],
  manager: ['front_desk', 'instructor'],
  front_desk: [],
  instructor: [],
};

function actorRole(ctx: TenantContext): StaffRole {
  if (!ctx.principal) throw new AppError('unauthenticated');
  if (ctx.principal.kind === 'member') throw new AppError('forbidden', text('platform.members_cannot_manage_staff'));
  return ctx.principal.role;
}

function assertCanManage(ctx: TenantContext, role: StaffRole) {
  if (!manageable[actorRole(ctx)].includes(role)) {
    throw new AppError('forbidden', text('platform.role_cannot_manage', { role: roleName(role) }));
  }
}

export function createStaffService(auth: AuthService) {
  async function load(ctx: TenantContext, id: string) {
    const staff = await staffRepo.byId(ctx.db, id);
    if (!staff) throw notFound('platform.thing.staff_member');
    return staff;
  }

  return {
    async me(ctx: TenantContext) {
      if (ctx.principal?.kind !== 'staff') throw new AppError('forbidden', text('platform.staff_profile_only'));
      return toStaffDto(await load(ctx, ctx.principal.staffId));
    },

    async list(ctx: TenantContext) {
      const withTwoFactor = await twoFactorRepo.enabledStaff(ctx.db);
      return { items: (await staffRepo.list(ctx.db)).map((s) => ({ ...toStaffDto(s), twoFactorEnabled: withTwoFactor.has(s.id) })) };
    },

    /** An owner removes another staff member's authenticator (a lost phone); they set it up again at next sign-in. */
    async resetTwoFactor(ctx: TenantContext, id: string) {
      await load(ctx, id);
      if (!(await twoFactorRepo.remove(ctx.db, id))) throw new AppError('conflict', text('twofactor.not_enabled'), { reason: 'not_enabled' });
    },

    get: async (ctx: TenantContext, id: string) => toStaffDto(await load(ctx, id)),

    async create(ctx: TenantContext, input: { email: string; displayName: string; role: StaffRole }) {
      assertCanManage(ctx, input.role);
      await assertQuota(ctx, 'staff');
      const { staff } = await auth.createStaffAccount(ctx.db, ctx.tenant, input);
      return toStaffDto(staff);
    },

    async update(
      ctx: TenantContext,
      id: string,
      changes: { displayName?: string; role?: StaffRole; status?: 'active' | 'disabled' },
    ) {
      const current = await load(ctx, id);
      assertCanManage(ctx, current.role);
      if (changes.role) assertCanManage(ctx, changes.role);
      const losesOwner =
        current.role === 'owner' && current.status === 'active' && ((changes.role && changes.role !== 'owner') || changes.status === 'disabled');
      if (losesOwner && (await staffRepo.lockActiveOwners(ctx.db)).length <= 1) {
        throw new AppError('conflict', text('platform.keep_one_owner'));
      }
      // Enabling a disabled account takes a place in the quota again.
      if (changes.status === 'active' && current.status === 'disabled') await assertQuota(ctx, 'staff');
      const updated = await staffRepo.update(ctx.db, id, {
        display_name: changes.displayName,
        role: changes.role,
        status: changes.status,
      });
      if (changes.status === 'disabled' || (changes.role && changes.role !== current.role)) {
        await sessionsRepo.revokeAllFor(ctx.db, id);
      }
      return toStaffDto(updated!);
    },
  };
}
