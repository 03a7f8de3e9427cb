import type { Tx } from '../../platform/db/databases.js';
import { render, studioLocale, text, type Text } from '../../platform/i18n.js';
import type { Runtime } from '../../platform/runtime.js';
import type { TenantDirectory } from '../../platform/tenancy/directory.js';
import { queueMemberMessages, type MemberMessage, type Voice } from '../../platform/messaging/outbox.js';

/** "ヨガ（12月1日(火) 10:00）" / "Yoga, Tue, Dec 1, 10:00" in the studio's time zone: how a lesson is named in a message. */
export const describeLesson = (lesson: { lesson_type_name: string; starts_at: Date }): Text =>
  text('reservations.lesson_named', { lessonType: lesson.lesson_type_name, at: lesson.starts_at });

/** The studio's language and time zone (a member who chose a language is written to in theirs), at this moment. */
export type StudioVoice = Voice & { now: Date };

export const studioVoice = (tenant: { locale: string; timezone: string }, now: Date): StudioVoice => ({ locale: studioLocale(tenant), timeZone: tenant.timezone, now });

/**
 * Tells members (or their family leads) through the outbox, in the caller's transaction, on the channel that
 * reaches each (LINE, push or mail). The words are rendered now, in each recipient's language: the message
 * outlives the request.
 */
export async function notifyMembers(db: Tx, memberIds: string[], kind: string, message: Omit<MemberMessage, 'kind'>, voice: StudioVoice) {
  return queueMemberMessages(db, memberIds, { kind, ...message }, voice);
}

/** The studio's address on the web (the runtime's `tenantUrl`): messages link into its member app. */
export type StudioUrl = Runtime['tenantUrl'];

/** What the reservation jobs need of the runtime: the tenants' data, and their addresses for links. */
export interface ReservationJobDeps {
  directory: TenantDirectory;
  tenantUrl: StudioUrl;
}

/** Words stored for later reading (a credit ledger line, a waitlist note, a cancel reason): in the studio's language. */
export const studioWords = (tenant: { locale: string; timezone: string }, words: Text) => render(words, studioLocale(tenant), tenant.timezone);
