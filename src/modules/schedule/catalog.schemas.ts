import { z } from 'zod';
import { bookingRuleFields } from './booking-rules.schemas.js';

const name = z.string().trim().min(1).max(100).transform((v) => v.normalize('NFKC'));

export const locationIdParams = z.object({ locationId: z.uuid() });
export const lessonTypeIdParams = z.object({ lessonTypeId: z.uuid() });

export const createLocationBody = z.object({ name: name.meta({ example: '渋谷スタジオ' }), address: z.string().trim().max(300).optional() }).strict();
const atLeastOne = (v: object) => Object.values(v).some((x) => x !== undefined);

export const updateLocationBody = z
  .object({ name: name.optional(), address: z.string().trim().max(300).optional(), archived: z.boolean().optional() })
  .strict()
  .refine(atLeastOne, 'validation.at_least_one_change')
  .meta({ example: { address: '東京都渋谷区1-2-3' } });

export const locationDto = z.object({ id: z.uuid(), name: z.string(), address: z.string(), archived: z.boolean() });
export const locationList = z.object({ items: z.array(locationDto) });

const colour = z
  .string()
  .trim()
  .regex(/^#[0-9a-fA-F]{6}$/, 'schedule.colour_format')
  .transform((v) => v.toLowerCase());

/** A lesson type's own booking rules; a field left out or null follows the studio's default. */
const bookingRuleOverrides = z
  .object(Object.fromEntries(Object.entries(bookingRuleFields).map(([k, f]) => [k, f.nullable().optional()])) as {
    [K in keyof typeof bookingRuleFields]: z.ZodOptional<z.ZodNullable<(typeof bookingRuleFields)[K]>>;
  })
  .strict();

export const createLessonTypeBody = z
  .object({
    name: name.meta({ example: 'Morning yoga' }),
    durationMinutes: z.int().min(5).max(600),
    colour: colour.optional(),
    description: z.string().trim().max(2000).optional(),
    bookingRules: bookingRuleOverrides.optional().describe('Overrides of the studio’s booking rules; null or absent follows the studio'),
  })
  .strict();
export const updateLessonTypeBody = createLessonTypeBody
  .partial()
  .extend({ archived: z.boolean().optional() })
  .strict()
  .refine(atLeastOne, 'validation.at_least_one_change')
  .meta({ example: { durationMinutes: 45 } });

export const lessonTypeDto = z.object({
  id: z.uuid(),
  name: z.string(),
  durationMinutes: z.int(),
  colour: z.string(),
  description: z.string(),
  bookingRules: z.object(Object.fromEntries(Object.entries(bookingRuleFields).map(([k, f]) => [k, f.nullable()])) as {
    [K in keyof typeof bookingRuleFields]: z.ZodNullable<(typeof bookingRuleFields)[K]>;
  }).describe('This type’s own rules; null follows the studio’s'),
  archived: z.boolean(),
});
export const lessonTypeList = z.object({ items: z.array(lessonTypeDto) });
export const listQuery = z.object({ includeArchived: z.stringbool().default(false) }).strict();
