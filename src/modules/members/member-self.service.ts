import type { TenantContext } from '../../platform/tenancy/context.js';
import { actingMemberId } from './acting-member.js';
import { memberAccountsRepo } from './member-accounts.repo.js';
import { membersService, type MemberInput } from './members.service.js';

export type SelfChanges = Partial<
  Pick<MemberInput, 'familyName' | 'givenName' | 'familyNameKana' | 'givenNameKana' | 'phone' | 'birthDate' | 'gender' | 'address' | 'emergencyContact'>
>;

/** The staff view of a member, minus what only staff see (notes, tags), with the family split into lead and led. */
async function selfView(ctx: TenantContext, member: Awaited<ReturnType<typeof membersService.get>>) {
  const { staffNotes: _notes, tags: _tags, family, ...profile } = member;
  const account = await memberAccountsRepo.byMemberId(ctx.db, member.id);
  return {
    ...profile,
    loginEmail: account?.email ?? null,
    family: {
      lead: family.find((f) => f.id === member.familyLeadId) ?? null,
      // Families are one level deep: a member with a lead leads nobody; without one, the rest are the members it leads.
      members: member.familyLeadId ? [] : family,
    },
  };
}

/** A signed-in member's own profile, and (for a family lead) the profiles of the members it leads. */
export const memberSelfService = {
  async get(ctx: TenantContext, memberId?: string) {
    return selfView(ctx, await membersService.get(ctx, await actingMemberId(ctx, memberId)));
  },

  /** Profile fields only: staff notes, tags, terms, the email and family links stay with staff. */
  async update(ctx: TenantContext, changes: SelfChanges, memberId?: string) {
    return selfView(ctx, await membersService.update(ctx, await actingMemberId(ctx, memberId), changes));
  },
};
