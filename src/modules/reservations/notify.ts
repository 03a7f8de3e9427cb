import { formatInTimeZone } from 'date-fns-tz';
import type { Tx } from '../../platform/db/databases.js';
import { queueMail } from '../../platform/mail/outbox.js';
import { notifyRepo } from './reservations.repo.js';

/** "Yoga, 2026-12-01 (Tue) 10:00" in the studio's time zone: how a lesson is named in mail. */
export const describeLesson = (lesson: { lesson_type_name: string; starts_at: Date }, timeZone: string) =>
  `${lesson.lesson_type_name}, ${formatInTimeZone(lesson.starts_at, timeZone, 'yyyy-MM-dd (EEE) HH:mm')}`;

/** Queues one mail per member (to them or their family lead) through the outbox, in the caller's transaction. */
export async function notifyMembers(db: Tx, memberIds: string[], template: string, subject: string, body: (name: string) => string) {
  const recipients = (await notifyRepo.recipients(db, [...new Set(memberIds)])).filter((r) => r.email);
  await queueMail(
    db,
    recipients.map((r) => ({ to_address: r.email!, template, subject, body: body(`${r.family_name} ${r.given_name}`) })),
  );
}
