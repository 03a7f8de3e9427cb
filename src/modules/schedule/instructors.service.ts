import type { Selectable } from 'kysely';
import { AppError, notFound, unlessDuplicate } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { AppInstructors } from '../../platform/db/types.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { staffRepo } from '../../platform/auth/staff.repo.js';
import { instructorsRepo } from './instructors.repo.js';

const toInstructor = (i: Selectable<AppInstructors>) => ({
  id: i.id,
  displayName: i.display_name,
  bio: i.bio,
  staffId: i.staff_id,
  archived: i.archived_at !== null,
});

interface InstructorInput {
  displayName?: string;
  bio?: string;
  staffId?: string | null;
  archived?: boolean;
}

/** A staff account teaches as at most one instructor, so "my lessons" has one answer. */
async function linked<T>(ctx: TenantContext, staffId: string | null | undefined, write: () => Promise<T>) {
  if (staffId && !(await staffRepo.byId(ctx.db, staffId))) throw new AppError('validation_failed', text('schedule.unknown_staff'));
  return unlessDuplicate(write, text('schedule.staff_already_linked'));
}

export const instructorsService = {
  list: async (ctx: TenantContext, q: { includeArchived: boolean }) => ({ items: (await instructorsRepo.list(ctx.db, q.includeArchived)).map(toInstructor) }),

  async get(ctx: TenantContext, id: string) {
    const i = await instructorsRepo.byId(ctx.db, id);
    if (!i) throw notFound('schedule.thing.instructor');
    return toInstructor(i);
  },

  create: (ctx: TenantContext, input: InstructorInput & { displayName: string }) =>
    linked(ctx, input.staffId, async () =>
      toInstructor(await instructorsRepo.insert(ctx.db, { display_name: input.displayName, bio: input.bio, staff_id: input.staffId ?? null })),
    ),

  update: (ctx: TenantContext, id: string, input: InstructorInput) =>
    linked(ctx, input.staffId, async () => {
      const i = await instructorsRepo.update(ctx.db, id, {
        display_name: input.displayName,
        bio: input.bio,
        staff_id: input.staffId,
        ...(input.archived === undefined ? {} : { archived_at: input.archived ? ctx.now : null }),
      });
      if (!i) throw notFound('schedule.thing.instructor');
      return toInstructor(i);
    }),
};
