import { AppError, notFound } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { membersRepo } from './members.repo.js';

/**
 * The member a signed-in member acts for: itself, or (when it names one) a member of the family it leads.
 * Anyone else is "not found", so a member cannot learn which ids exist. For every member-facing feature that
 * takes a member id (profile, reservations, …).
 */
export async function actingMemberId(ctx: TenantContext, requestedMemberId?: string): Promise<string> {
  const principal = ctx.principal;
  if (principal?.kind !== 'member') throw new AppError('forbidden', text('members.acting_member_only'));
  if (!requestedMemberId || requestedMemberId === principal.memberId) return principal.memberId;
  const member = await membersRepo.byId(ctx.db, requestedMemberId);
  if (!member || member.family_lead_id !== principal.memberId) throw notFound('members.thing.member');
  return member.id;
}
