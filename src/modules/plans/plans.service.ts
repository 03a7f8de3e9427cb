import { AppError, notFound, unlessDuplicate } from '../../platform/errors.js';
import { text, type MessageId } from '../../platform/i18n.js';
import type { PlanKind } from '../../platform/db/types.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import { lessonTypesRepo, locationsRepo } from '../schedule/catalog.repo.js';
import type { ChargeTerms } from '../contracts/charges.js';
import type { PlanTerms } from './plans.schemas.js';
import { plansRepo, type PlanRow, type PlanVersionRow } from './plans.repo.js';

export function termsOf(v: PlanVersionRow): PlanTerms {
  return {
    price: v.price,
    priceIncludesTax: v.price_includes_tax,
    taxCategory: v.tax_category,
    enrollmentFee: v.enrollment_fee,
    annualFee: v.annual_fee,
    leaveFee: v.leave_fee,
    packCredits: v.pack_credits,
    packValidityDays: v.pack_validity_days,
    creditGrant: v.credit_grant,
    creditsPerGrant: v.credits_per_grant,
    carryoverCap: v.carryover_cap,
    lessonTypeIds: v.lesson_type_ids,
    locationIds: v.location_ids,
    maxUpcoming: v.max_upcoming,
    maxPerDay: v.max_per_day,
    maxPerWeek: v.max_per_week,
    maxPerMonth: v.max_per_month,
  };
}

/** What the charge computation needs of a plan version. */
export type ChargedVersion = Pick<PlanVersionRow, 'plan_id' | 'version' | 'price' | 'price_includes_tax' | 'tax_category' | 'enrollment_fee' | 'annual_fee' | 'leave_fee'>;

export function chargeTermsOf(v: ChargedVersion, name: string): ChargeTerms {
  return {
    planId: v.plan_id, version: v.version, name, price: v.price, priceIncludesTax: v.price_includes_tax, taxCategory: v.tax_category,
    enrollmentFee: v.enrollment_fee, annualFee: v.annual_fee, leaveFee: v.leave_fee,
  };
}

const invalid = (detail: MessageId) => new AppError('validation_failed', text(detail));

/** The rules each kind of plan must follow; the database checks the same shape again. */
async function checkTerms(ctx: TenantContext, kind: PlanKind, t: PlanTerms) {
  const credits = t.creditGrant !== 'none';
  if (credits !== (t.creditsPerGrant !== null)) throw invalid('contracts.plans.credits_per_grant');
  if ((t.creditGrant === 'monthly_carryover') !== (t.carryoverCap !== null)) {
    throw invalid('contracts.plans.carryover_cap');
  }
  const bookingRules = t.lessonTypeIds !== null || t.locationIds !== null || [t.maxUpcoming, t.maxPerDay, t.maxPerWeek, t.maxPerMonth].some((x) => x !== null);
  if (kind === 'pack') {
    if (t.packCredits === null || t.packValidityDays === null) throw invalid('contracts.plans.pack_needs');
    if (credits || t.enrollmentFee || t.annualFee || t.leaveFee) throw invalid('contracts.plans.pack_no_fees');
  } else if (t.packCredits !== null || t.packValidityDays !== null) {
    throw invalid('contracts.plans.pack_only');
  }
  if (kind === 'option' && (credits || bookingRules || t.enrollmentFee || t.annualFee || t.leaveFee)) {
    throw invalid('contracts.plans.option_price_only');
  }
  const lessonTypes = [...new Set(t.lessonTypeIds ?? [])];
  if ((await lessonTypesRepo.countLive(ctx.db, lessonTypes)) !== lessonTypes.length) throw invalid('contracts.plans.unknown_lesson_type');
  const locations = [...new Set(t.locationIds ?? [])];
  if ((await locationsRepo.countLive(ctx.db, locations)) !== locations.length) throw invalid('contracts.plans.unknown_location');
  return { lessonTypeIds: t.lessonTypeIds && lessonTypes, locationIds: t.locationIds && locations };
}

async function writeVersion(ctx: TenantContext, plan: Pick<PlanRow, 'id' | 'kind'>, version: number, terms: PlanTerms) {
  const lists = await checkTerms(ctx, plan.kind, terms);
  const actor = actorOf(ctx);
  await plansRepo.insertVersion(
    ctx.db,
    {
      plan_id: plan.id,
      version,
      price: terms.price,
      price_includes_tax: terms.priceIncludesTax,
      tax_category: terms.taxCategory,
      enrollment_fee: terms.enrollmentFee,
      annual_fee: terms.annualFee,
      leave_fee: terms.leaveFee,
      pack_credits: terms.packCredits,
      pack_validity_days: terms.packValidityDays,
      credit_grant: terms.creditGrant,
      credits_per_grant: terms.creditsPerGrant,
      carryover_cap: terms.carryoverCap,
      all_lesson_types: lists.lessonTypeIds === null,
      all_locations: lists.locationIds === null,
      max_upcoming: terms.maxUpcoming,
      max_per_day: terms.maxPerDay,
      max_per_week: terms.maxPerWeek,
      max_per_month: terms.maxPerMonth,
      created_by: actor.kind === 'staff' ? actor.id : null,
    },
    lists,
  );
}

const nameTaken = (name: string | undefined) => text('contracts.plans.name_taken', { name: name ?? '' });

const summary = (plan: PlanRow, current: PlanVersionRow) => ({
  id: plan.id,
  kind: plan.kind,
  name: plan.name,
  description: plan.description,
  archived: plan.archived_at !== null,
  soldOnline: plan.sold_online,
  currentVersion: plan.current_version,
  terms: termsOf(current),
});

export const plansService = {
  async list(ctx: TenantContext, q: { kind?: PlanKind; includeArchived: boolean }) {
    const plans = await plansRepo.list(ctx.db, q);
    const versions = new Map((await plansRepo.currentVersions(ctx.db, plans.map((p) => p.id))).map((v) => [v.plan_id, v]));
    return { items: plans.map((p) => summary(p, versions.get(p.id)!)) };
  },

  /** What members may buy in the member app: the live plans the studio sells online (options go with a plan). */
  async onSale(ctx: TenantContext) {
    const plans = await plansRepo.list(ctx.db, { includeArchived: false, soldOnline: true });
    const versions = new Map((await plansRepo.currentVersions(ctx.db, plans.map((p) => p.id))).map((v) => [v.plan_id, v]));
    return { items: plans.map((p) => summary(p, versions.get(p.id)!)) };
  },

  async get(ctx: TenantContext, id: string) {
    const plan = await plansRepo.byId(ctx.db, id);
    if (!plan) throw notFound('contracts.thing.plan');
    const current = await plansRepo.version(ctx.db, id, plan.current_version);
    const history = await plansRepo.versionHistory(ctx.db, id);
    return {
      ...summary(plan, current!),
      versions: history.map((v) => ({ version: v.version, price: v.price, createdAt: v.created_at.toISOString() })),
    };
  },

  async versions(ctx: TenantContext, planId: string) {
    if (!(await plansRepo.byId(ctx.db, planId))) throw notFound('contracts.thing.plan');
    const versions = await plansRepo.allVersions(ctx.db, planId);
    return { items: versions.map((v) => ({ version: v.version, createdAt: v.created_at.toISOString(), terms: termsOf(v) })) };
  },

  create: (ctx: TenantContext, input: { kind: PlanKind; name: string; description?: string; soldOnline?: boolean; terms: PlanTerms }) =>
    unlessDuplicate(async () => {
      const plan = await plansRepo.insert(ctx.db, { kind: input.kind, name: input.name, description: input.description, sold_online: input.soldOnline, current_version: 1 });
      await writeVersion(ctx, plan, 1, input.terms);
      return plansService.get(ctx, plan.id);
    }, nameTaken(input.name)),

  /** Name, description and archiving change the plan; any terms change makes the next version. */
  update: (ctx: TenantContext, id: string, input: { name?: string; description?: string; archived?: boolean; soldOnline?: boolean; terms?: Partial<PlanTerms> }) =>
    unlessDuplicate(async () => {
      const plan = await plansRepo.byIdForUpdate(ctx.db, id);
      if (!plan) throw notFound('contracts.thing.plan');
      let version = plan.current_version;
      if (input.terms && Object.keys(input.terms).length > 0) {
        const current = termsOf((await plansRepo.version(ctx.db, id, plan.current_version))!);
        const next = { ...current, ...input.terms };
        if (JSON.stringify(next) !== JSON.stringify(current)) {
          version += 1;
          await writeVersion(ctx, plan, version, next);
        }
      }
      await plansRepo.update(ctx.db, id, {
        name: input.name,
        description: input.description,
        sold_online: input.soldOnline,
        current_version: version,
        ...(input.archived === undefined ? {} : { archived_at: input.archived ? new Date() : null }),
      });
      return plansService.get(ctx, id);
    }, nameTaken(input.name)),
};
