import { z } from 'zod';
import { calendarDate, calendarMonth } from '../../platform/dates.schemas.js';

export const month = calendarMonth.meta({ example: '2027-01' });
const date = calendarDate.meta({ example: '2026-12-01' });

export const contractIdParams = z.object({ contractId: z.uuid() });
export const leaveParams = z.object({ contractId: z.uuid(), leaveId: z.uuid() });
export const optionParams = z.object({ contractId: z.uuid(), optionId: z.uuid() });
export const memberIdParams = z.object({ memberId: z.uuid() });

export const myContractsQuery = z.object({ memberId: z.uuid().optional().describe('A member of the family I lead') }).strict();

export const sellBody = z
  .object({
    memberId: z.uuid(),
    planId: z.uuid(),
    startDate: date.optional().describe('Defaults to today (in the studio’s time zone)'),
    optionPlanIds: z.array(z.uuid()).max(20).optional(),
  })
  .strict();
export const planChangeBody = z.object({ planId: z.uuid(), fromMonth: month }).strict();
export const leaveBody = z
  .object({ fromMonth: month, returnMonth: month.optional(), reason: z.string().trim().max(1000).optional() })
  .strict();
export const returnBody = z.object({ returnMonth: month }).strict();
export const cancelBody = z.object({ reason: z.string().trim().min(1).max(1000).meta({ example: 'Moving away' }) }).strict();
export const optionBody = z.object({ planId: z.uuid(), fromDate: date.optional() }).strict();

const taxCategory = z.enum(['standard_10', 'reduced_8', 'exempt']);
const chargeLine = z.object({
  period: z.string(),
  code: z.enum(['monthly_fee', 'first_month_fee', 'enrollment_fee', 'annual_fee', 'leave_fee', 'option_fee', 'pack_purchase']),
  description: z.string(),
  amount: z.int(),
  taxCategory,
  priceIncludesTax: z.boolean(),
  contractId: z.uuid(),
  planId: z.uuid(),
  planVersion: z.int(),
  optionId: z.uuid().nullable(),
});

export const leaveDto = z.object({ id: z.uuid(), fromMonth: z.string(), returnMonth: z.string().nullable(), reason: z.string(), withdrawn: z.boolean() });
export const optionDto = z.object({
  id: z.uuid(),
  planId: z.uuid(),
  name: z.string(),
  version: z.int(),
  fromDate: z.string(),
  untilDate: z.string().nullable(),
  removal: z
    .object({ stopsAfter: z.string(), takenOff: z.boolean().describe('It would not have started by then: taken off, never charged') })
    .nullable()
    .describe('What removing it today would do, under the cut-off rule; null once it has an end'),
});

export const contractDto = z.object({
  id: z.uuid(),
  memberId: z.uuid(),
  billingMemberId: z.uuid(),
  kind: z.enum(['monthly', 'pack']),
  status: z.enum(['scheduled', 'active', 'on_leave', 'ending', 'ended']),
  startDate: z.string(),
  endDate: z.string().nullable(),
  cancelReason: z.string().nullable(),
  cancelRequestedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  plans: z.array(z.object({ effectiveFrom: z.string(), planId: z.uuid(), planName: z.string(), version: z.int() })),
  leaves: z.array(leaveDto),
  options: z.array(optionDto),
  currency: z.string(),
  charges: z
    .array(
      z.object({
        period: z.string(),
        chargedOn: z.string().describe('The day this month is invoiced: its billing day, or today if that has passed'),
        lines: z.array(chargeLine),
        byRate: z.array(z.object({ taxCategory, ratePercent: z.int(), taxableAmount: z.int(), tax: z.int(), total: z.int() })),
        subtotalExcludingTax: z.int(),
        tax: z.int(),
        total: z.int(),
      }),
    )
    .describe('What will be charged, month by month, from now to a few months ahead'),
});
export const contractList = z.object({ items: z.array(contractDto) });

/** A member's leave or cancellation, asked in the app of a studio whose staff approve them. */
export const requestBody = z.discriminatedUnion('kind', [
  leaveBody.extend({ kind: z.literal('leave') }),
  cancelBody.extend({ kind: z.literal('cancellation') }),
]);
export const requestParams = z.object({ requestId: z.uuid() });
export const requestDto = z.object({
  id: z.uuid(),
  contractId: z.uuid(),
  memberId: z.uuid(),
  memberNumber: z.int(),
  memberName: z.string(),
  plans: z.array(z.string()).describe('The contract’s plan names, in order'),
  kind: z.enum(['leave', 'cancellation']),
  fromMonth: z.string().nullable(),
  returnMonth: z.string().nullable(),
  reason: z.string(),
  requestedOn: z.string().describe('The studio’s date of the request: approval applies the cut-off as of it'),
  requestedAt: z.iso.datetime(),
  status: z.enum(['pending', 'approved', 'declined', 'withdrawn']),
  decidedAt: z.iso.datetime().nullable(),
  declineReason: z.string().nullable(),
});
export const requestAnswer = z.object({
  request: requestDto,
  contract: contractDto.describe('The contract as it will be once staff approve the request'),
});
export const requestList = z.object({ items: z.array(requestDto) });
export const myRequests = requestList.extend({
  approvalRequired: z.boolean().describe('The studio’s staff approve leaves and cancellations: ask for them here, not directly'),
});
export const requestsQuery = z.object({ status: z.enum(['pending', 'decided']).default('pending') }).strict();
export const requestDecline = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();
