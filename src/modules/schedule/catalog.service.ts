import type { Selectable } from 'kysely';
import { notFound, unlessDuplicate } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { AppLessonTypes, AppLocations } from '../../platform/db/types.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { lessonTypesRepo, locationsRepo } from './catalog.repo.js';
import { checkPenaltyFee, columnsOf, emptyOverrides, rulesOf, type RuleOverrides } from './booking-rules.js';
import { policyOf, studioBookingRules } from '../reservations/booking-policy.js';
import { assertQuota } from '../../platform/limits/quotas.js';

/** The type's rules as they will apply (its overrides over the studio's) must make sense together. */
async function checkOverrides(ctx: TenantContext, name: string, own: RuleOverrides) {
  checkPenaltyFee(policyOf(await studioBookingRules(ctx.db), columnsOf({ ...emptyOverrides, ...own }) as Parameters<typeof policyOf>[1]), text('schedule.where.lesson_type', { name }));
}

const toLocation = (l: Selectable<AppLocations>) => ({ id: l.id, name: l.name, address: l.address, archived: l.archived_at !== null });
const toLessonType = (t: Selectable<AppLessonTypes>) => ({
  id: t.id,
  name: t.name,
  durationMinutes: t.duration_minutes,
  colour: t.colour,
  description: t.description,
  bookingRules: rulesOf(t),
  archived: t.archived_at !== null,
});

/** Names are unique per studio; a clash is the user's to resolve, not a server error. */
const uniqueName = <T>(what: 'location' | 'lesson_type', name: string | undefined, write: () => Promise<T>) =>
  unlessDuplicate(write, text(`schedule.duplicate.${what}`, { name: name ?? '' }));

const archiving = (archived: boolean | undefined) => (archived === undefined ? {} : { archived_at: archived ? new Date() : null });

export const catalogService = {
  listLocations: async (ctx: TenantContext, q: { includeArchived: boolean }) => ({
    items: (await locationsRepo.list(ctx.db, q.includeArchived)).map(toLocation),
  }),
  async getLocation(ctx: TenantContext, id: string) {
    const l = await locationsRepo.byId(ctx.db, id);
    if (!l) throw notFound('schedule.thing.location');
    return toLocation(l);
  },
  createLocation: (ctx: TenantContext, input: { name: string; address?: string }) =>
    uniqueName('location', input.name, async () => {
      await assertQuota(ctx, 'locations');
      return toLocation(await locationsRepo.insert(ctx.db, input));
    }),
  updateLocation: (ctx: TenantContext, id: string, input: { name?: string; address?: string; archived?: boolean }) =>
    uniqueName('location', input.name, async () => {
      // Bringing an archived location back takes a place in the quota again.
      if (input.archived === false && (await locationsRepo.byId(ctx.db, id))?.archived_at) await assertQuota(ctx, 'locations');
      const l = await locationsRepo.update(ctx.db, id, { name: input.name, address: input.address, ...archiving(input.archived) });
      if (!l) throw notFound('schedule.thing.location');
      return toLocation(l);
    }),

  listLessonTypes: async (ctx: TenantContext, q: { includeArchived: boolean }) => ({
    items: (await lessonTypesRepo.list(ctx.db, q.includeArchived)).map(toLessonType),
  }),
  async getLessonType(ctx: TenantContext, id: string) {
    const t = await lessonTypesRepo.byId(ctx.db, id);
    if (!t) throw notFound('schedule.thing.lesson_type');
    return toLessonType(t);
  },
  createLessonType: (ctx: TenantContext, input: { name: string; durationMinutes: number; colour?: string; description?: string; bookingRules?: RuleOverrides }) =>
    uniqueName('lesson_type', input.name, async () => {
      await checkOverrides(ctx, input.name, input.bookingRules ?? {});
      return toLessonType(
        await lessonTypesRepo.insert(ctx.db, {
          name: input.name,
          duration_minutes: input.durationMinutes,
          colour: input.colour,
          description: input.description,
          ...columnsOf(input.bookingRules ?? {}),
        }),
      );
    }),
  updateLessonType: (
    ctx: TenantContext,
    id: string,
    input: { name?: string; durationMinutes?: number; colour?: string; description?: string; bookingRules?: RuleOverrides; archived?: boolean },
  ) =>
    uniqueName('lesson_type', input.name, async () => {
      const current = await lessonTypesRepo.byId(ctx.db, id);
      if (!current) throw notFound('schedule.thing.lesson_type');
      if (input.bookingRules) await checkOverrides(ctx, input.name ?? current.name, { ...rulesOf(current), ...input.bookingRules });
      const t = await lessonTypesRepo.update(ctx.db, id, {
        ...columnsOf(input.bookingRules ?? {}),
        name: input.name,
        duration_minutes: input.durationMinutes,
        colour: input.colour,
        description: input.description,
        ...archiving(input.archived),
      });
      if (!t) throw notFound('schedule.thing.lesson_type');
      return toLessonType(t);
    }),
};
