import type { Tx } from '../../platform/db/databases.js';
import { render, studioLocale, text, type Locale, type Text } from '../../platform/i18n.js';
import { queueMail } from '../../platform/mail/outbox.js';
import { notifyRepo } from './reservations.repo.js';

/** "ヨガ（12月1日(火) 10:00）" / "Yoga, Tue, Dec 1, 10:00" in the studio's time zone: how a lesson is named in mail. */
export const describeLesson = (lesson: { lesson_type_name: string; starts_at: Date }): Text =>
  text('reservations.lesson_named', { lessonType: lesson.lesson_type_name, at: lesson.starts_at });

/** The language and time zone a mail is written in. */
export interface MailVoice {
  locale: Locale;
  timeZone: string;
}

/** Mail to members that nobody asked for in that moment (a job's, or staff's doing): in the studio's language. */
export const studioVoice = (tenant: { locale: string; timezone: string }): MailVoice => ({ locale: studioLocale(tenant), timeZone: tenant.timezone });

/**
 * Queues one mail per member (to them or their family lead) through the outbox, in the caller's transaction. The
 * words are rendered now, in `voice`: the mail outlives the request.
 */
export async function notifyMembers(db: Tx, memberIds: string[], template: string, mail: { subject: Text; body: (name: string) => Text }, voice: MailVoice) {
  const recipients = (await notifyRepo.recipients(db, [...new Set(memberIds)])).filter((r) => r.email);
  if (recipients.length === 0) return;
  const subject = render(mail.subject, voice.locale, voice.timeZone);
  await queueMail(
    db,
    recipients.map((r) => ({ to_address: r.email!, template, subject, body: render(mail.body(`${r.family_name} ${r.given_name}`), voice.locale, voice.timeZone) })),
  );
}

/** Words stored for later reading (a credit ledger line, a waitlist note, a cancel reason): in the studio's language. */
export const studioWords = (tenant: { locale: string; timezone: string }, words: Text) => render(words, studioLocale(tenant), tenant.timezone);
