/**
 * The kinds of message a member can receive, and which of them a member may turn off. The one list the member's
 * preferences, their checks and the outbox read, so a kind cannot be optional in one place and essential in another.
 * Optional kinds also wait out the studio's quiet hours; essential ones (offers with a deadline, payments, changes to
 * a booking) go at once.
 */
export const MEMBER_KINDS = {
  lesson_reminder: { optional: true },
  seat_freed: { optional: true },
  booking_window_opens: { optional: true },
  waitlist_offer: { optional: false },
  waitlist_promoted: { optional: false },
  lesson_cancelled: { optional: false },
  lesson_moved: { optional: false },
  reservation_released: { optional: false },
  booking_blocked: { optional: false },
  payment_failed: { optional: false },
  payment_overdue: { optional: false },
  monthly_invoice: { optional: false },
} as const satisfies Record<string, { optional: boolean }>;

export type MemberKind = keyof typeof MEMBER_KINDS;

export const MEMBER_KIND_NAMES = Object.keys(MEMBER_KINDS) as [MemberKind, ...MemberKind[]];

export const isMemberKind = (kind: string): kind is MemberKind => Object.hasOwn(MEMBER_KINDS, kind);

/** Whether a kind may be turned off and waits out quiet hours: the list's word for a listed kind, else the caller's. */
export const isOptionalKind = (kind: string, callerSays = false): boolean => (isMemberKind(kind) ? MEMBER_KINDS[kind].optional : callerSays);
