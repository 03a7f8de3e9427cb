import { z } from 'zod';
import { calendarDate } from '../../platform/dates.schemas.js';

export const memberIdParams = z.object({ memberId: z.uuid() });
export const ledgerQuery = z
  .object({
    before: z.string().min(1).max(200).optional().describe('Cursor: nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const myLedgerQuery = ledgerQuery.extend({ memberId: z.uuid().optional().describe('A member of the family I lead; myself when absent') }).strict();

export const adjustmentBody = z
  .object({
    amount: z.int().min(-1000).max(1000).refine((n) => n !== 0, 'contracts.credits.amount_not_zero'),
    reason: z.string().trim().min(1).max(500).meta({ example: 'Goodwill: lesson cancelled by the studio' }),
    expiresOn: calendarDate.optional().describe('For added credits; none means they last until the membership ends'),
  })
  .strict();

const lot = z.object({
  id: z.uuid(),
  kind: z.enum(['grant', 'carryover']),
  granted: z.int(),
  remaining: z.int(),
  expiresOn: z.string().nullable(),
  contractId: z.uuid().nullable(),
});

export const creditsOverview = z.object({
  available: z.int().describe('Credits usable today'),
  lots: z.array(lot),
  ledger: z.array(
    z.object({
      id: z.uuid(),
      kind: z.enum(['grant', 'carryover', 'consume', 'refund', 'expire', 'adjust']),
      amount: z.int(),
      lotId: z.uuid().nullable(),
      expiresOn: z.string().nullable(),
      contractId: z.uuid().nullable(),
      referenceId: z.uuid().nullable(),
      reason: z.string(),
      actor: z.object({ kind: z.enum(['staff', 'api_key', 'member', 'system']), id: z.uuid().nullable() }),
      createdAt: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});
