import { z } from 'zod';

export const membershipRules = z.object({
  prorationRule: z.enum(['full', 'daily', 'free_until_first']).describe('How the first month of a monthly contract is charged'),
  cutoffDay: z.int().min(1).max(27).describe('締め日: changes applied on or before this day take effect after this month'),
  billingDay: z.int().min(2).max(28).describe('Invoices for a month are made on this day of the month before'),
  currency: z.string().regex(/^[A-Z]{3}$/).describe('ISO 4217; amounts are integers in its minor unit'),
  taxRounding: z.enum(['floor', 'half_up', 'ceil']).describe('Consumption tax rounding, once per invoice and rate'),
});

export const updateMembershipRules = membershipRules
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'send at least one setting');
