import { z } from 'zod';
import { bookingRuleFields, localTime } from '../schedule/booking-rules.schemas.js';
import { timestamp } from '../../platform/auth/auth.schemas.js';

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
  .refine((v) => Object.keys(v).length > 0, 'validation.at_least_one_change');

/** The studio's booking rules: the defaults every lesson type uses unless it overrides them. */
export const bookingSettings = z.object({
  ...bookingRuleFields,
  strikeLimit: z.int().min(1).max(100).describe('This many strikes within the window block booking'),
  strikeWindowDays: z.int().min(1).max(365),
  strikeBlockDays: z.int().min(1).max(365).describe('How long a strike block lasts'),
  waitlistAutoUntilHours: z.int().min(0).max(720).describe('Waitlist promotion is automatic while more than this many hours remain; later, offers'),
  waitlistOfferMinutes: z.int().min(5).max(1440).describe('How long an offer to the next on the waitlist stands'),
  quietHours: z.object({ start: localTime, end: localTime }).strict().nullable().describe('Local hours in which no waitlist offer is sent; null for none'),
  reminderHoursBefore: z.int().min(1).max(72).nullable().describe('Booked members are reminded this many hours before a lesson; null for no reminders'),
  waitingRoomMinutesBefore: z.int().min(1).max(120).nullable()
    .describe('A waiting room opens this many minutes before each booking window; members in it are let in a batch each second from the opening. null: no waiting room'),
  waitingRoomOrder: z.enum(['arrival', 'lottery']).describe('The waiting room\'s order at the opening: as members arrived, or drawn by lot'),
});

export const updateBookingSettings = bookingSettings
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'validation.at_least_one_change')
  .meta({ example: { opensDaysBefore: 7, opensAt: '12:00' } });

const level = z.enum(['ok', 'warning', 'critical']);

/** Where the studio stands against its Studiohive plan; levels are those of the operators' limits report. */
export const planStanding = z
  .object({
    plan: z.string().describe('The Studiohive plan (starter, standard, enterprise)'),
    quotas: z.array(
      z.object({
        key: z.enum(['members', 'locations', 'staff', 'storageBytes', 'apiRequestsPerMinute']),
        limit: z.enum(['tenant.members', 'tenant.locations', 'tenant.staff', 'tenant.storage_bytes', 'tenant.api_requests_per_minute'])
          .describe('The name a quota_exceeded problem gives'),
        usage: z.number().nullable().describe('Members, locations and active staff counted now; stored bytes as last measured; null for the request rate'),
        max: z.number().nullable().describe('null: unlimited'),
        percent: z.number().nullable(),
        level: level.nullable().describe('warning and critical as the limits report sets them; null when usage is not measured'),
      }),
    ),
    storageMeasuredAt: timestamp.nullable().describe('When the stored bytes were last measured; null before the first measurement'),
  })
  .meta({ id: 'PlanStanding' });
