import { z } from 'zod';
import { email } from '../../platform/auth/auth.schemas.js';
import { EDITABLE_KINDS, type EditableKind } from '../../platform/messaging/editable-kinds.js';

/** The signed token rides in the query: the link is all a one-click unsubscribe has (RFC 8058). */
export const unsubscribeQuery = z.object({ token: z.string().min(1).max(200) });

export const unsubscribed = z.object({
  kind: z.string().describe('The kind of message the member will no longer get'),
  unsubscribed: z.literal(true),
});

/** RFC 8058's body (`List-Unsubscribe=One-Click`, form-encoded); the link alone is enough, so nothing is required. */
export const oneClickBody = z.object({ 'List-Unsubscribe': z.string().max(20).optional() }).optional();

export const memberParams = z.object({ memberId: z.uuid() });

export const undeliverable = z.object({
  address: z.string(),
  reason: z.enum(['bounce', 'complaint']),
  reportedAt: z.iso.datetime(),
});
export const memberUndeliverable = z.object({ items: z.array(undeliverable) });

/** The name a mail's From shows: one line (it goes in a header). */
const senderName = z.string().trim().min(1).max(100).regex(/^[^\p{Cc}]+$/u, 'validation.single_line').meta({ example: 'ヨガスタジオ渋谷' });

export const mailSettings = z.object({
  senderName: senderName.nullable().describe('The name mail comes from; null: the studio’s display name'),
  replyTo: email.nullable().describe('Where members’ replies go; null: none (mail comes from a no-reply address)'),
  defaultSenderName: z.string().describe('The studio’s display name, used when senderName is null'),
});

export const updateMailSettings = z
  .object({ senderName: senderName.nullable(), replyTo: email.nullable() })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'validation.at_least_one_change');

export const templateKind = z.enum(EDITABLE_KINDS as [EditableKind, ...EditableKind[]]).describe('A kind of message sent to members');
const templateLocale = z.enum(['ja', 'en']);
const wording = { subject: z.string().trim().min(1).max(200), body: z.string().trim().min(1).max(5000) };

/** The studio's wording of one kind in one language (ICU MessageFormat, with the catalog message's placeholders). */
export const saveTemplate = z.object({ kind: templateKind, locale: templateLocale, ...wording }).strict();
export const previewTemplate = saveTemplate;
export const templateRef = z.object({ kind: templateKind, locale: templateLocale });

export const template = z.object({
  kind: templateKind,
  locale: templateLocale,
  placeholders: z.array(z.string()).describe('The placeholders the wording may use, such as name for {name}'),
  default: z.object(wording).describe('The catalog’s wording'),
  own: z.object({ ...wording, updatedAt: z.iso.datetime() }).nullable().describe('The studio’s wording; null: the catalog’s is used'),
});
export const templateList = z.object({ items: z.array(template) });
export const renderedTemplate = z.object({ subject: z.string(), body: z.string() });
