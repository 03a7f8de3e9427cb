import { z } from 'zod';
import { calendarDate } from '../../platform/dates.schemas.js';
import { timestamp } from '../../platform/auth/auth.schemas.js';
import { memberStatus } from '../members/members.schemas.js';

export const memberIdParams = z.object({ memberId: z.uuid() });
export const myQuery = z.object({ memberId: z.uuid().optional().describe('A member of the family I lead') }).strict();

export const checkInCode = z.object({
  token: z.string().describe('Show it as a QR code; fetch a fresh one before it expires'),
  expiresAt: timestamp,
  memberId: z.uuid(),
});

export const checkInBody = z
  .object({
    token: z.string().min(1).max(200).optional().describe('The scanned code (GET /api/me/check-in-code)'),
    memberId: z.uuid().optional().describe('A manual check-in, without a code'),
    locationId: z.uuid().describe('The desk’s location'),
    lessonId: z.uuid().optional().describe('The lesson to check in for; without it, the member’s booked lesson here that is open for check-in'),
    acknowledge: z.boolean().optional().describe('The desk has seen the warnings of the preview and checks the member in anyway; without it a member with warnings is refused (reason needs_acknowledge)'),
  })
  .strict()
  .refine((b) => (b.token === undefined) !== (b.memberId === undefined), 'checkin.token_or_member')
  .meta({ example: { token: 'v1.…', locationId: '00000000-0000-4000-8000-000000000000' } });

export const listQuery = z
  .object({
    date: calendarDate.optional().describe('The studio’s local day; today if left out'),
    locationId: z.uuid().optional(),
  })
  .strict();

export const checkInDto = z.object({
  id: z.uuid(),
  checkedInAt: timestamp,
  method: z.enum(['qr', 'manual']),
  locationId: z.uuid(),
  member: z.object({ id: z.uuid(), memberNumber: z.int(), familyName: z.string(), givenName: z.string(), status: memberStatus }),
  /** The lesson attended; null for a walk-in. */
  lesson: z.object({ id: z.uuid(), reservationId: z.uuid(), name: z.string(), startsAt: timestamp, endsAt: timestamp }).nullable(),
  walkIn: z.boolean(),
});

export const scanResult = checkInDto.extend({
  alreadyCheckedIn: z.boolean().describe('This reservation was checked in before; nothing new was recorded'),
  notice: z.string().nullable().describe('Something the desk should act on, such as a cancelled membership'),
});

export const checkInList = z.object({ items: z.array(checkInDto) });

export const warningCode = z.enum(['provisional', 'on_leave', 'cancelled', 'overdue_invoice', 'booking_blocked']);

export const checkInPreview = z.object({
  member: z.object({ id: z.uuid(), memberNumber: z.int(), familyName: z.string(), givenName: z.string(), status: memberStatus }),
  /** The contracts running today, each with its plan. */
  contracts: z.array(z.object({ id: z.uuid(), kind: z.enum(['monthly', 'pack']), planName: z.string(), onLeave: z.boolean() })),
  creditsAvailable: z.int().describe('Credits usable today'),
  bookingsToday: z.array(z.object({
    reservationId: z.uuid(), lessonId: z.uuid(), name: z.string(), startsAt: timestamp, endsAt: timestamp, status: z.enum(['booked', 'attended']),
  })).describe('The member’s lessons today at this location'),
  /** What a check-in now would record: the lesson it marks attended, or null for a walk-in. */
  checkInFor: z.object({ lessonId: z.uuid(), name: z.string(), startsAt: timestamp }).nullable(),
  alreadyCheckedIn: checkInDto.nullable().describe('The check-in that a check-in now would find instead of recording one'),
  warnings: z.array(z.object({ code: warningCode, message: z.string() })).describe('What the desk must acknowledge (acknowledge: true) before checking in'),
});
