import type { z } from 'zod';
import type { billingSettingsDto, cardAnswer, invoiceDetail, invoiceList, reconciliation, runList } from '../../src/modules/billing/billing.schemas';
import type { contractDto } from '../../src/modules/contracts/contracts.schemas';
import type { creditsOverview } from '../../src/modules/credits/credits.schemas';
import type { memberMessages, memberStatus, statusHistory } from '../../src/modules/members/members.schemas';
import type { planList } from '../../src/modules/plans/plans.schemas';
import type { bookingResult, cancelResult, memberSchedule, penaltyList, reservationList, roster, waitlistList } from '../../src/modules/reservations/reservations.schemas';
import type { checkInCode, checkInList, scanResult } from '../../src/modules/checkin/checkin.schemas';
import type { locationList } from '../../src/modules/schedule/catalog.schemas';
import type { membershipRules, planStanding } from '../../src/modules/settings/settings.schemas';

/**
 * The JSON API of the studio at this address, with the staff session and the member session kept apart in this
 * browser: the member app's calls (/api/me…, /api/member-auth…) carry the member's token, all others the staff's.
 */
const SESSION_KEY = 'studiohive.session';
const MEMBER_SESSION_KEY = 'studiohive.memberSession';

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  /** Why a 422 refused (`not_billing_account`, `no_card`…). */
  reason?: string;
  errors?: Array<{ location: string; path: string; message: string }>;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

const stored = (key: string) => ({
  get: () => localStorage.getItem(key),
  set: (token: string) => localStorage.setItem(key, token),
  clear: () => localStorage.removeItem(key),
});
export const session = stored(SESSION_KEY);
export const memberSession = stored(MEMBER_SESSION_KEY);
export type Realm = 'staff' | 'member';
export const realmSession = (realm: Realm) => (realm === 'member' ? memberSession : session);
const realmOf = (path: string): Realm => (/^\/api\/(me|member-auth)(\/|\?|$)/.test(path) ? 'member' : 'staff');

/**
 * Calls the API. Writes on contracts, statuses and credits carry an Idempotency-Key: one per user action, made
 * by the caller (`newActionKey`) and sent again when that same action is retried, so it is done at most once.
 */
export async function api<T>(method: string, path: string, body?: unknown, opts: { idempotencyKey?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const tokens = realmSession(realmOf(path));
  const token = tokens.get();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204 || res.status === 202) return undefined as T;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401 && token) tokens.clear();
    throw new ApiError({ status: res.status, code: 'unknown', title: res.statusText, detail: '', ...data });
  }
  return data as T;
}

/**
 * Opens a document (a PDF) of the API in a new tab. It needs the session's token, so it is fetched here and
 * opened as a blob; where pop-ups are blocked it is downloaded instead.
 */
export async function openDocument(path: string, filename: string): Promise<void> {
  const token = realmSession(realmOf(path)).get();
  const res = await fetch(path, { headers: { accept: 'application/pdf, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    throw new ApiError({ status: res.status, code: 'unknown', title: res.statusText, detail: '', ...data });
  }
  const url = URL.createObjectURL(await res.blob());
  if (!window.open(url, '_blank')) {
    const a = Object.assign(document.createElement('a'), { href: url, download: filename });
    a.click();
  }
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * A fresh Idempotency-Key. crypto.randomUUID exists only in secure contexts (https, localhost); a studio opened
 * over plain http elsewhere gets the same random version-4 UUID from getRandomValues.
 */
export function newActionKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What to tell the user when a call fails: the API's problem detail, or the fallback. */
export const errorText = (err: unknown, fallback: string) => (err instanceof ApiError ? err.message : fallback);

export interface Tenant {
  id: string;
  slug: string;
  displayName: string;
  timezone: string;
}

export type Role = 'owner' | 'manager' | 'front_desk' | 'instructor';

export interface Staff {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: 'active' | 'disabled';
  createdAt: string;
}

export const roleLabel: Record<Role, string> = {
  owner: 'Owner',
  manager: 'Manager',
  front_desk: 'Front desk',
  instructor: 'Instructor',
};

export type MemberStatus = z.output<typeof memberStatus>;

export const memberStatuses: MemberStatus[] = ['provisional', 'trial', 'active', 'on_leave', 'cancelled'];

export const statusLabel: Record<MemberStatus, string> = {
  provisional: 'Provisional',
  trial: 'Trial',
  active: 'Active',
  on_leave: 'On leave',
  cancelled: 'Cancelled',
};

export interface MemberSummary {
  id: string;
  status: MemberStatus;
  memberNumber: number;
  familyName: string;
  givenName: string;
  familyNameKana: string;
  givenNameKana: string;
  email: string | null;
  phone: string | null;
  tags: string[];
  familyLeadId: string | null;
}

export interface Member extends MemberSummary {
  birthDate: string | null;
  staffNotes: string;
  termsVersion: string | null;
  termsAcceptedAt: string | null;
  billingMemberId: string;
  statusSince: string | null;
  homeLocationId: string | null;
  family: Array<{ id: string; memberNumber: number; familyName: string; givenName: string }>;
}

/*
 * The shapes of the membership API, taken from the server's own response schemas (types only: nothing of the
 * server is bundled), so the app and the API cannot drift apart.
 */
export type StatusHistory = z.output<typeof statusHistory>;
export type MemberMessages = z.output<typeof memberMessages>;
export type PlanKind = Plan['kind'];
export type TaxCategory = Plan['terms']['taxCategory'];
export type Plan = z.output<typeof planList>['items'][number];
export type MembershipRules = z.output<typeof membershipRules>;
export type Contract = z.output<typeof contractDto>;
export type Charge = Contract['charges'][number];
export type ContractStatus = Contract['status'];
export type Credits = z.output<typeof creditsOverview>;
export type PlanStanding = z.output<typeof planStanding>;
export type Quota = PlanStanding['quotas'][number];

export const taxLabel: Record<TaxCategory, string> = { standard_10: '10%', reduced_8: '8% (reduced)', exempt: 'Tax exempt' };

/**
 * Money in integer minor units, shown the Japanese way (¥8,800). ja-JP writes the yen sign full-width (￥);
 * it is shown half-width, as on Japanese price tags and receipts.
 */
export function formatMoney(amount: number, currency: string): string {
  return currencyFormat(currency).format(amount / 10 ** minorDigits(currency)).replace('\uffe5', '¥');
}

const currencyFormat = (currency: string) => new Intl.NumberFormat('ja-JP', { style: 'currency', currency });

/** Digits of the minor unit: 0 for yen, 2 for dollars. Staff type amounts in the major unit. */
export const minorDigits = (currency: string) => currencyFormat(currency).resolvedOptions().maximumFractionDigits ?? 0;

/** An amount typed by staff (in yen, or dollars) in minor units; blank is undefined. */
export function toMinor(typed: string, currency: string): number | undefined {
  if (typed.trim() === '') return undefined;
  return Math.round(Number(typed) * 10 ** minorDigits(currency));
}

/* Reservations, check-in and the studio's locations, as the server's schemas say. */
export type MemberSchedule = z.output<typeof memberSchedule>;
export type ScheduleLesson = MemberSchedule['lessons'][number];
export type MyState = ScheduleLesson['me'];
export type BookingResult = z.output<typeof bookingResult>;
export type CancelResult = z.output<typeof cancelResult>;
export type ReservationList = z.output<typeof reservationList>;
export type ReservationStatus = ReservationList['items'][number]['status'];
export type WaitlistList = z.output<typeof waitlistList>;
export type Roster = z.output<typeof roster>;
export type Penalties = z.output<typeof penaltyList>;
export type CheckInCode = z.output<typeof checkInCode>;
export type CheckInList = z.output<typeof checkInList>;
export type ScanResult = z.output<typeof scanResult>;
export type Location = z.output<typeof locationList>['items'][number];

export const reservationStatusLabel: Record<ReservationStatus, string> = {
  booked: 'Booked',
  attended: 'Attended',
  no_show: 'No-show',
  cancelled: 'Cancelled',
  late_cancelled: 'Cancelled late',
  released: 'Released',
};

/** Members matching a search (name, kana, number, phone or email), newest first; `after` pages on. */
export function searchMembers(q: string, opts: { status?: MemberStatus; after?: number | null; limit?: number } = {}) {
  const params = new URLSearchParams({
    limit: String(opts.limit ?? 25),
    ...(q ? { q } : {}),
    ...(opts.status ? { status: opts.status } : {}),
    ...(opts.after ? { after: String(opts.after) } : {}),
  });
  return api<{ items: MemberSummary[]; nextCursor: number | null }>('GET', `/api/members?${params}`);
}

/* Billing: invoices, payments, refunds, the saved card, the studio's billing settings. */
export type InvoiceList = z.output<typeof invoiceList>;
export type InvoiceSummary = InvoiceList['items'][number];
export type InvoiceDetail = z.output<typeof invoiceDetail>;
export type InvoiceStatus = InvoiceSummary['status'];
export type PaymentAttempt = InvoiceDetail['payments'][number];
export type CardAnswer = z.output<typeof cardAnswer>;
export type SavedCard = NonNullable<CardAnswer['card']>;
export type BillingSettings = z.output<typeof billingSettingsDto>;
export type Reconciliation = z.output<typeof reconciliation>;
export type BillingRuns = z.output<typeof runList>;

export const invoiceStatuses: InvoiceStatus[] = ['open', 'paid', 'void', 'uncollectible'];

export const invoiceStatusLabel: Record<InvoiceStatus, string> = {
  draft: 'Draft',
  open: 'Open',
  paid: 'Paid',
  void: 'Void',
  uncollectible: 'Written off',
};

export const paymentMethodLabel: Record<PaymentAttempt['method'], string> = { card: 'Card', cash: 'Cash', bank_transfer: 'Bank transfer' };

/** A saved card as people read it: Visa •••• 4242. */
export const cardText = (c: SavedCard) =>
  `${c.brand.charAt(0).toUpperCase()}${c.brand.slice(1)} •••• ${c.last4}${c.expMonth && c.expYear ? ` (expires ${String(c.expMonth).padStart(2, '0')}/${c.expYear})` : ''}`;

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units, as the plans are sized (1 GiB, 10 GiB): 12.3 MiB, 10 GiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown.toLocaleString('en-US')} ${BYTE_UNITS[unit]}`;
}
