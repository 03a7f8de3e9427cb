import { z } from 'zod';

export const declineBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();

export const dataRequestDto = z.object({
  id: z.uuid(),
  memberId: z.uuid(),
  memberNumber: z.number().int(),
  memberName: z.string().describe('The member’s name; once erased, the studio’s marker (削除済み会員 #N)'),
  kind: z.enum(['erasure']),
  status: z.enum(['pending', 'completed', 'declined']),
  requestedAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
  declineReason: z.string().nullable(),
});

export const dataRequestList = z.object({ items: z.array(dataRequestDto) });

export const memberDataState = z.object({
  erasedAt: z.iso.datetime().nullable(),
  requests: z.array(dataRequestDto),
});

const count = z.object({ what: z.string().describe('What (a key the app words: profile, account, sessions, …)'), count: z.number().int().nonnegative() });

export const erasureSummary = z.object({
  memberNumber: z.number().int(),
  erased: z.array(count).describe('Personal data that goes: anonymised or deleted'),
  cancelled: z.array(count).describe('Future bookings cancelled (their seats go to the waitlist) and waitlist places left'),
  kept: z.array(count).describe('Records kept without the person: invoices with their amounts and numbers, the ledger, visits'),
  erasedAt: z.iso.datetime(),
});

/** The export: a readable JSON document of everything the studio holds about one member. */
export const memberDataExport = z.object({
  format: z.literal('studiohive.member-data.v1'),
  exportedAt: z.iso.datetime(),
  studio: z.string(),
}).catchall(z.unknown());
