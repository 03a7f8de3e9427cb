import { z } from 'zod';
import { birthDateInput, calendarDate } from '../../platform/dates.schemas.js';
import { email, password, timestamp } from '../../platform/auth/auth.schemas.js';
import { FAILURES } from '../../platform/messaging/channels.js';

/** Width and script folded the way Japanese names are searched: NFKC, hiragana as katakana, no spaces. */
export function normaliseKana(value: string): string {
  return value
    .normalize('NFKC')
    .replace(/[\u3041-\u3096]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0x60))
    .replace(/[\s\u3000]+/g, '');
}

const kana = z
  .string()
  .trim()
  .max(100)
  .transform(normaliseKana)
  .refine((v) => /^[\u30a0-\u30ffー]*$/.test(v), 'members.use_kana')
  .meta({ example: 'ヤマダ' });

const name = (example: string) => z.string().trim().min(1).max(100).transform((v) => v.normalize('NFKC')).meta({ example });

export const phone = z
  .string()
  .trim()
  .transform((v) => v.normalize('NFKC').replace(/[\s\-()（）]/g, ''))
  .pipe(z.string().regex(/^\+?[0-9]{6,20}$/, 'members.phone_format'))
  .meta({ example: '090-1234-5678' });

/** Not after the studio's today either: membersService checks that on the app's clock. */
const birthDate = birthDateInput.meta({ example: '1990-04-01' });

export const address = z
  .object({
    postalCode: z.string().trim().regex(/^\d{3}-?\d{4}$/, 'members.postal_code_format').optional(),
    prefecture: z.string().trim().min(1).max(20).optional(),
    city: z.string().trim().min(1).max(100).optional(),
    line1: z.string().trim().min(1).max(200).optional(),
    line2: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export const emergencyContact = z
  .object({ name: z.string().trim().min(1).max(100), relationship: z.string().trim().min(1).max(50).optional(), phone })
  .strict();

const tags = z.array(z.string().trim().min(1).max(30)).max(20).transform((t) => [...new Set(t)]);

const memberFields = {
  familyName: name('山田'),
  givenName: name('花子').optional(),
  familyNameKana: kana.optional(),
  givenNameKana: kana.meta({ example: 'ハナコ' }).optional(),
  email: email.optional(),
  phone: phone.optional(),
  birthDate: birthDate.optional(),
  gender: z.enum(['female', 'male', 'other', 'unspecified']).optional(),
  address: address.optional(),
  emergencyContact: emergencyContact.optional(),
  tags: tags.optional(),
  staffNotes: z.string().max(5000).optional(),
  homeLocationId: z.uuid().optional(),
};

export const createMemberBody = z
  .object({
    ...memberFields,
    /** Records consent to this version of the terms, now. */
    acceptedTermsVersion: z.string().trim().min(1).max(50).optional(),
  })
  .strict()
  .meta({ example: { familyName: '山田', givenName: '花子', familyNameKana: 'やまだ', givenNameKana: 'はなこ', phone: '090-1234-5678' } });

export const memberStatus = z.enum(['provisional', 'trial', 'active', 'on_leave', 'cancelled']);

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/** Every field staff may change (members may change some of them themselves: member-accounts.schemas.ts). */
export const memberChanges = z
  .object({
    familyName: memberFields.familyName.optional(),
    givenName: memberFields.givenName,
    familyNameKana: memberFields.familyNameKana,
    givenNameKana: memberFields.givenNameKana,
    email: nullable(email),
    phone: nullable(phone),
    birthDate: nullable(birthDate),
    gender: nullable(z.enum(['female', 'male', 'other', 'unspecified'])),
    address: nullable(address),
    emergencyContact: nullable(emergencyContact),
    tags: memberFields.tags,
    staffNotes: memberFields.staffNotes,
    homeLocationId: nullable(z.uuid()),
    acceptedTermsVersion: z.string().trim().min(1).max(50).optional(),
  })
  .strict();

export const updateMemberBody = memberChanges
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'validation.at_least_one_change')
  .meta({ example: { phone: '080-0000-1111' } });

export const memberIdParams = z.object({ memberId: z.uuid() });

export const familyLeadBody = z.object({ leadId: z.uuid() }).strict();

export const listMembersQuery = z.object({
  q: z
    .string()
    .trim()
    .max(100)
    .optional()
    .describe('Prefix of a name, kana name, member number, email or phone'),
  tag: z.string().trim().min(1).max(30).optional(),
  status: memberStatus.optional(),
  after: z.coerce.number().int().min(0).optional().describe('Cursor: the last member number of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** The list's own filters, without paging: the export walks every page itself. */
export const exportMembersQuery = listMembersQuery.pick({ q: true, tag: true, status: true });

const memberSummary = z.object({
  status: memberStatus,
  id: z.uuid(),
  memberNumber: z.number().int(),
  familyName: z.string(),
  givenName: z.string(),
  familyNameKana: z.string(),
  givenNameKana: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  tags: z.array(z.string()),
  familyLeadId: z.uuid().nullable(),
});

export const memberDto = memberSummary
  .extend({
    birthDate: z.string().nullable(),
    gender: z.enum(['female', 'male', 'other', 'unspecified']).nullable(),
    // Plain shapes here: response schemas are encoded, and the input schemas' normalising transforms cannot be.
    address: z.object({ postalCode: z.string(), prefecture: z.string(), city: z.string(), line1: z.string(), line2: z.string() }).partial().nullable(),
    emergencyContact: z.object({ name: z.string(), relationship: z.string().optional(), phone: z.string() }).nullable(),
    staffNotes: z.string(),
    statusSince: z.string().nullable(),
    homeLocationId: z.uuid().nullable(),
    termsVersion: z.string().nullable(),
    termsAcceptedAt: timestamp.nullable(),
    /** Who is billed: the family lead, or the member itself. */
    billingMemberId: z.uuid(),
    family: z.array(memberSummary.pick({ id: true, memberNumber: true, familyName: true, givenName: true })),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Member' });

export const memberList = z.object({ items: z.array(memberSummary), nextCursor: z.number().int().nullable() }).meta({ id: 'MemberList' });

export const statusChangeParams = z.object({ memberId: z.uuid(), changeId: z.uuid() });

export const statusChangeBody = z
  .object({
    to: z.enum(['trial', 'active', 'on_leave', 'cancelled']),
    effectiveOn: calendarDate.optional().describe('Defaults to today; a later date waits for its day'),
    reason: z.string().trim().min(1).max(1000).meta({ example: 'Trial lesson booked' }),
  })
  .strict();

const actor = z.object({ kind: z.enum(['staff', 'api_key', 'member', 'system']), id: z.uuid().nullable() });

export const scheduledChange = z.object({
  id: z.uuid(),
  to: memberStatus,
  effectiveOn: z.string(),
  reason: z.string(),
  contractId: z.uuid().nullable(),
  requestedBy: actor,
  requestedAt: timestamp,
});

export const statusHistory = z.object({
  status: memberStatus,
  events: z.array(
    z.object({
      id: z.uuid(),
      from: memberStatus.nullable(),
      to: memberStatus,
      effectiveOn: z.string(),
      reason: z.string(),
      actor,
      contractId: z.uuid().nullable(),
      effects: z.record(z.string(), z.unknown()),
      recordedAt: timestamp,
    }),
  ),
  scheduled: z.array(scheduledChange),
});

export const messagesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** What was sent about the member, on every channel (to them, or to their family lead who is told), newest first. */
export const memberMessages = z
  .object({
    address: email.nullable().describe('Where the member’s mail goes; null when neither they nor their family lead has an address'),
    items: z.array(
      z.object({
        id: z.uuid(),
        template: z.string().describe('What kind of message: password_reset, waitlist_offer, payment_failed, …'),
        channel: z.enum(['mail', 'line', 'push']).describe('How it went: by mail, on LINE, or as a notification to the member’s devices'),
        subject: z.string(),
        status: z.enum(['pending', 'sent', 'failed']).describe('pending: waiting for its (next) attempt; sent: the mail server, LINE or the push service took it; failed: given up'),
        attempts: z.number().int(),
        createdAt: timestamp,
        sentAt: timestamp.nullable(),
        failedAt: timestamp.nullable(),
        lastError: z.string().nullable().describe('Why the last attempt failed, as the provider said it'),
        failure: z.enum(FAILURES).nullable().describe('Why the last attempt failed, as a code the app words in the reader’s language'),
      }),
    ),
  })
  .meta({ id: 'MemberMessages' });

export const termsVersion = z.string().trim().min(1).max(50).meta({ example: '2026-04' });

/** A member's own sign-up (member-accounts): the web app's sign-up form checks with it too, so it lives here, free of node modules. */
export const signUpBody = createMemberBody
  .pick({ familyName: true, givenName: true, familyNameKana: true, givenNameKana: true, phone: true })
  .extend({
    email,
    password,
    /** Consent to this version of the studio's terms, recorded on the member with the time. */
    acceptedTermsVersion: termsVersion,
  })
  .meta({
    example: { email: 'hanako@example.com', password: 'correct horse battery', familyName: '山田', givenName: '花子', familyNameKana: 'やまだ', givenNameKana: 'はなこ', acceptedTermsVersion: '2026-04' },
  });

/** What members may change about themselves (and about the family members they lead). */
export const selfUpdateBody = memberChanges
  .pick({
    familyName: true, givenName: true, familyNameKana: true, givenNameKana: true, phone: true, birthDate: true, gender: true,
    address: true, emergencyContact: true,
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'validation.at_least_one_change')
  .meta({ example: { phone: '080-0000-1111' } });

/** What an onboarding import can read from a column (member-import.ts): a whole name is split at its first space, tags at spaces and commas. */
export const IMPORT_FIELDS = [
  'externalId',
  'fullName',
  'familyName',
  'givenName',
  'fullNameKana',
  'familyNameKana',
  'givenNameKana',
  'email',
  'phone',
  'birthDate',
  'gender',
  'tags',
  'staffNotes',
  'credits',
  'creditsExpireOn',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

/** Credits a member still had in the previous system: a lot of their own, with its expiry (not in the past). */
export const importedCredits = z
  .object({
    // Digits only: Number() would also read 0x10 or 1e3, which no spreadsheet means as a count of credits.
    amount: z.string().regex(/^\d{1,4}$/, 'members.import.credits_format').transform(Number),
    expiresOn: calendarDate.optional(),
  })
  .strict();

/** The CSV file's size as base64: 20,000 members of a few hundred bytes each, with room to spare. */
export const IMPORT_FILE_MAX_CHARS = 12 * 1024 * 1024;

export const importMapping = z
  .partialRecord(z.enum(IMPORT_FIELDS), z.string().trim().min(1).max(200))
  .describe('Which header each field is read from; left out, the headers are recognised (氏名, フリガナ, 電話番号, member id, email…)');

export const importMembersBody = z
  .object({
    file: z.base64().max(IMPORT_FILE_MAX_CHARS).describe('The CSV file, base64: UTF-8 (with or without a BOM), UTF-16 with its BOM, or Shift_JIS; comma- or tab-separated, headers in the first row'),
    mapping: importMapping.optional(),
  })
  .strict();

export const importMembersResult = z.object({
  encoding: z.enum(['utf-8', 'utf-16', 'shift_jis']),
  headers: z.array(z.string()),
  mapping: z.partialRecord(z.enum(IMPORT_FIELDS), z.string()).describe('The mapping used: the one sent, or the one recognised'),
  rows: z.number().int().describe('Data rows in the file, the header row not counted'),
  created: z.number().int().describe('Members registered (on /preview: who would be)'),
  creditsGranted: z.number().int().describe('Credits the new members brought from the previous system, each member’s as a lot of their own'),
  alreadyImported: z.number().int().describe('Rows whose external id a member here already has: skipped, so an import can run again'),
  failedRows: z.number().int().describe('Rows with errors: not imported'),
  errors: z
    .array(z.object({ row: z.number().int().describe('Line in the file; the header is line 1'), column: z.string().nullable(), value: z.string(), message: z.string() }))
    .describe('Each row’s problems, in the reader’s language (the first 1,000)'),
  memberNumbers: z.object({ first: z.number().int(), last: z.number().int() }).nullable().describe('The member numbers the new members got'),
});
