import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { email, password, timestamp } from '../../platform/auth/auth.schemas.js';
import { memberDto, termsVersion } from './members.schemas.js';

export { selfUpdateBody, signUpBody } from './members.schemas.js';

const mailedToken = z.string().min(10).max(200);

export const tokenBody = z.object({ token: mailedToken }).strict();
export const confirmBody = z
  .object({
    token: mailedToken,
    password: z.string().max(200).optional()
      .describe('The password chosen at sign-up: needed when the sign-up joins a member the desk registered, so that only who chose it takes that member over'),
  })
  .strict();
export const emailBody = z.object({ email }).strict();

const memberRef = z.object({ id: z.uuid(), memberNumber: z.number().int(), familyName: z.string(), givenName: z.string() });

export const memberSession = z
  .object({ token: z.string().describe('shm_…; send as Authorization: Bearer'), expiresAt: timestamp, member: memberRef })
  .meta({ id: 'MemberSession' });

/** A member's own view: the staff record without staff notes and tags, with the family it leads or belongs to. */
export const memberSelfDto = memberDto
  .omit({ staffNotes: true, tags: true, family: true })
  .extend({
    loginEmail: z.string().nullable().describe('The email this member signs in with, if it has an account'),
    family: z.object({ lead: memberRef.nullable(), members: z.array(memberRef).describe('The members this member leads') }),
  })
  .meta({ id: 'MemberSelf' });

export const familyMemberParams = z.object({ memberId: z.uuid() });

/** Where the studio's membership terms are read: a web page of the studio's own. */
const termsUrl = z.url({ protocol: /^https?$/ }).max(2000).meta({ example: 'https://studio.example.com/terms' });

/** The terms a sign-up agrees to: the version recorded on the member, and where to read them (if the studio says). */
export const memberTerms = z.object({ version: termsVersion, url: termsUrl.nullable() }).meta({ id: 'MemberTerms' });

const approval = z.boolean().describe('Leaves and cancellations members ask for in the app wait for staff approval');
export const signUpSettings = z
  .object({ blockDisposableEmailDomains: z.boolean(), terms: memberTerms, memberChangesNeedApproval: approval })
  .meta({
    id: 'MemberSignUpSettings',
    example: { blockDisposableEmailDomains: true, terms: { version: '2026-04', url: 'https://studio.example.com/terms' }, memberChangesNeedApproval: false },
  });
export const signUpSettingsBody = z
  .object({ blockDisposableEmailDomains: z.boolean().optional(), terms: memberTerms.strict().optional(), memberChangesNeedApproval: approval.optional() })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'validation.at_least_one_change');

/** A domain as people type it (upper case, a leading @, a trailing dot, Unicode), stored in ASCII lower case. */
export const domain = z
  .string()
  .trim()
  .max(253)
  .transform((v) => domainToASCII(v.toLowerCase().replace(/^@/, '').replace(/\.$/, '')))
  .pipe(
    z
      .string()
      .regex(
        /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/,
        'use a domain name such as example.com',
      ),
  )
  .meta({ example: 'spam.example.com' });

export const blockedDomainBody = z.object({ domain }).strict();
export const blockedDomainParams = z.object({ domainId: z.uuid() });
export const blockedDomainDto = z.object({ id: z.uuid(), domain: z.string(), createdAt: timestamp }).meta({ id: 'BlockedEmailDomain' });
export const blockedDomainList = z.object({ items: z.array(blockedDomainDto) });
