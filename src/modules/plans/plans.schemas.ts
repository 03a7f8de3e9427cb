import { z } from 'zod';

/** Integer minor units (JPY has none); a plan price above a hundred million is a typing mistake. */
export const money = z.int().min(0).max(100_000_000);
const count = z.int().min(1).max(10_000);
const limit = count.nullable();

export const planTerms = z
  .object({
    price: money.describe('Monthly price (monthly plans and options) or the price of a pack'),
    priceIncludesTax: z.boolean().default(true),
    taxCategory: z.enum(['standard_10', 'reduced_8', 'exempt']),
    enrollmentFee: money.default(0).describe('入会金, charged with the first month'),
    annualFee: money.min(1).nullable().default(null).describe('Charged in the first month and on each anniversary month'),
    leaveFee: money.default(0).describe('Charged for each month on leave (休会) instead of the monthly price'),
    packCredits: count.nullable().default(null).describe('Packs: how many credits'),
    packValidityDays: z.int().min(1).max(3660).nullable().default(null).describe('Packs: days the credits stay valid'),
    creditGrant: z.enum(['none', 'contract_start', 'monthly', 'monthly_carryover']).default('none'),
    creditsPerGrant: count.nullable().default(null),
    carryoverCap: z.int().min(0).max(10_000).nullable().default(null).describe('monthly_carryover: most unused credits carried into the next month'),
    lessonTypeIds: z.array(z.uuid()).max(200).nullable().default(null).describe('Lesson types the plan may book; null for all'),
    locationIds: z.array(z.uuid()).max(200).nullable().default(null).describe('Locations the plan may book at; null for all'),
    maxUpcoming: limit.default(null),
    maxPerDay: limit.default(null),
    maxPerWeek: limit.default(null),
    maxPerMonth: limit.default(null),
  })
  .strict();
export type PlanTerms = z.output<typeof planTerms>;

/** The same fields without their defaults: in an edit, a term left out keeps its current value. */
const termChanges = z
  .object(Object.fromEntries(Object.entries(planTerms.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? field.unwrap() : field).optional()])) as {
    [K in keyof typeof planTerms.shape]: z.ZodOptional<(typeof planTerms.shape)[K] extends z.ZodDefault<infer T> ? T : (typeof planTerms.shape)[K]>;
  })
  .strict();

export const createPlanBody = z
  .object({
    kind: z.enum(['monthly', 'pack', 'option']),
    name: z.string().trim().min(1).max(100).transform((v) => v.normalize('NFKC')).meta({ example: 'Monthly unlimited' }),
    description: z.string().trim().max(2000).optional(),
    soldOnline: z.boolean().default(false).describe('Members may buy it themselves in the member app'),
    terms: planTerms,
  })
  .strict();

export const updatePlanBody = z
  .object({
    name: z.string().trim().min(1).max(100).transform((v) => v.normalize('NFKC')).optional(),
    description: z.string().trim().max(2000).optional(),
    archived: z.boolean().optional(),
    soldOnline: z.boolean().optional().describe('Members may buy it themselves in the member app'),
    /** Any change here makes a new version; contracts stay on theirs until moved. Unnamed terms stay as they are. */
    terms: termChanges.optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'validation.at_least_one_change')
  .meta({ example: { terms: { price: 9900 } } });

export const planIdParams = z.object({ planId: z.uuid() });
export const listPlansQuery = z
  .object({ kind: z.enum(['monthly', 'pack', 'option']).optional(), includeArchived: z.stringbool().default(false) })
  .strict();

const termsDto = z.object({
  price: z.int(),
  priceIncludesTax: z.boolean(),
  taxCategory: z.enum(['standard_10', 'reduced_8', 'exempt']),
  enrollmentFee: z.int(),
  annualFee: z.int().nullable(),
  leaveFee: z.int(),
  packCredits: z.int().nullable(),
  packValidityDays: z.int().nullable(),
  creditGrant: z.enum(['none', 'contract_start', 'monthly', 'monthly_carryover']),
  creditsPerGrant: z.int().nullable(),
  carryoverCap: z.int().nullable(),
  lessonTypeIds: z.array(z.uuid()).nullable(),
  locationIds: z.array(z.uuid()).nullable(),
  maxUpcoming: z.int().nullable(),
  maxPerDay: z.int().nullable(),
  maxPerWeek: z.int().nullable(),
  maxPerMonth: z.int().nullable(),
});

export const planVersionList = z.object({ items: z.array(z.object({ version: z.int(), createdAt: z.string(), terms: termsDto })) });

export const planDto = z.object({
  id: z.uuid(),
  kind: z.enum(['monthly', 'pack', 'option']),
  name: z.string(),
  description: z.string(),
  archived: z.boolean(),
  soldOnline: z.boolean(),
  currentVersion: z.int(),
  terms: termsDto,
  versions: z.array(z.object({ version: z.int(), price: z.int(), createdAt: z.string() })),
});
export const planList = z.object({ items: z.array(planDto.omit({ versions: true })) });
