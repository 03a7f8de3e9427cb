import type { MessageId } from '../../i18n/catalog.js';

/**
 * The kinds of message a studio may word itself: those sent to members (staff_* kinds and sign-in links are the
 * platform's), each with its catalog messages. Kept free of runtime imports: the web app's forms import it through
 * the schemas. Sample values for previews are in templates.ts.
 */
export const EDITABLE_TEMPLATES = {
  waitlist_offer: { subject: 'reservations.mail.waitlist_offer.subject', body: 'reservations.mail.waitlist_offer.body' },
  waitlist_promoted: { subject: 'reservations.mail.waitlist_promoted.subject', body: 'reservations.mail.waitlist_promoted.body' },
  waitlist_skipped: { subject: 'reservations.mail.waitlist_skipped.subject', body: 'reservations.mail.waitlist_skipped.body' },
  waitlist_offer_lapsed: { subject: 'reservations.mail.waitlist_offer_lapsed.subject', body: 'reservations.mail.waitlist_offer_lapsed.body' },
  booking_blocked: { subject: 'reservations.mail.booking_blocked.subject', body: 'reservations.mail.booking_blocked.body' },
  lesson_cancelled: { subject: 'reservations.mail.lesson_cancelled.subject', body: 'reservations.mail.lesson_cancelled.body' },
  reservation_released: { subject: 'reservations.mail.reservation_released.subject', body: 'reservations.mail.reservation_released.body' },
  lesson_moved: { subject: 'schedule.mail.lesson_moved.subject', body: 'schedule.mail.lesson_moved.body' },
  payment_failed: { subject: 'billing.mail.payment_failed.subject', body: 'billing.mail.payment_failed.body' },
  payment_overdue: { subject: 'billing.mail.payment_overdue.subject', body: 'billing.mail.payment_overdue.body' },
} as const satisfies Record<string, { subject: MessageId; body: MessageId }>;

export type EditableKind = keyof typeof EDITABLE_TEMPLATES;
export const EDITABLE_KINDS = Object.keys(EDITABLE_TEMPLATES) as EditableKind[];
export const isEditableKind = (kind: string): kind is EditableKind => Object.hasOwn(EDITABLE_TEMPLATES, kind);

