/**
 * Turns an account's due contracts and fees into one invoice's lines and totals. Pure: the run reads the rows,
 * this decides what they cost, with the same charge computation the contract previews show.
 */
import { addDays, addMonths, firstDay, monthOf, monthsBetween, type IsoDate, type IsoMonth } from '../../platform/calendar.js';
import type { InvoiceLineCode, TaxCategory } from '../../platform/db/types.js';
import { chargesForPeriod, taxSummary, type ContractTimeline, type MembershipRules, type TaxSummary } from '../contracts/charges.js';
import { day, render, text, type Locale, type Text } from '../../platform/i18n.js';

export interface DraftLine {
  period: IsoMonth;
  code: InvoiceLineCode;
  /** Stored as written: rendered in the studio's language when the invoice is made. */
  description: string;
  amount: number;
  taxCategory: TaxCategory;
  priceIncludesTax: boolean;
  memberId: string;
  contractId: string | null;
  optionId: string | null;
  planId: string | null;
  planVersion: number | null;
  penaltyId: string | null;
}

export interface DueContract {
  memberId: string;
  billedThrough: IsoDate | null;
  timeline: ContractTimeline;
}

export interface DueFee {
  id: string;
  memberId: string;
  reason: 'late_cancel' | 'no_show';
  amount: number;
  /** The lesson's name and local date, for the line. */
  lessonName: string;
  lessonDate: IsoDate;
  chargedOn: IsoDate;
}

/** The language lines are written in: the studio's, with its time zone. */
export interface LineLanguage {
  locale: Locale;
  timeZone: string;
}

/** The months of a contract still to bill, up to and including `period`. */
export function monthsToBill(c: DueContract, period: IsoMonth): IsoMonth[] {
  const from = c.billedThrough ? addMonths(monthOf(c.billedThrough), 1) : monthOf(c.timeline.startDate);
  const end = c.timeline.endDate && monthOf(c.timeline.endDate) < period ? monthOf(c.timeline.endDate) : period;
  const n = monthsBetween(from, end);
  return Array.from({ length: Math.max(0, n + 1) }, (_, i) => addMonths(from, i));
}

export function linesFor(contracts: DueContract[], fees: DueFee[], period: IsoMonth, rules: Pick<MembershipRules, 'prorationRule'>, language: LineLanguage): DraftLine[] {
  const write = (t: Text) => render(t, language.locale, language.timeZone);
  // A month billed late (a sale after the billing day) says which month it is for.
  const earlier = (description: Text, month: IsoMonth) =>
    text('billing.line.earlier_month', { description, year: month.slice(0, 4), month: Number(month.slice(5, 7)) });
  const lines: DraftLine[] = [];
  for (const c of contracts) {
    for (const month of monthsToBill(c, period)) {
      for (const l of chargesForPeriod(c.timeline, month, rules)) {
        lines.push({
          period: l.period, code: l.code, description: write(l.period === period ? l.description : earlier(l.description, l.period)), amount: l.amount,
          taxCategory: l.taxCategory, priceIncludesTax: l.priceIncludesTax, memberId: c.memberId, contractId: l.contractId,
          optionId: l.optionId, planId: l.planId, planVersion: l.planVersion, penaltyId: null,
        });
      }
    }
  }
  for (const f of fees) {
    lines.push({
      period: monthOf(f.chargedOn), code: 'penalty_fee', amount: f.amount,
      description: write(text('billing.line.penalty_fee', { reason: f.reason, lesson: f.lessonName, lessonDate: day(f.lessonDate) })),
      // Penalty fees are set tax-inclusive at the standard rate (see the booking rules).
      taxCategory: 'standard_10', priceIncludesTax: true, memberId: f.memberId, contractId: null, optionId: null, planId: null, planVersion: null, penaltyId: f.id,
    });
  }
  return lines;
}

export interface InvoiceTotals extends TaxSummary {
  dueOn: IsoDate;
}

/** Totals (tax once per rate) and the due date: the terms after issue, never before the month starts. */
export function totalsOf(lines: DraftLine[], period: IsoMonth, issuedOn: IsoDate, rules: Pick<MembershipRules, 'taxRounding'>, paymentTermsDays: number): InvoiceTotals {
  const byTerms = addDays(issuedOn, paymentTermsDays);
  const monthStart = firstDay(period);
  return { ...taxSummary(lines, rules.taxRounding), dueOn: byTerms > monthStart ? byTerms : monthStart };
}

/** The month the run bills on a day: next month from the billing day on, this month before it. */
export const billingPeriodOn = (today: IsoDate, rules: Pick<MembershipRules, 'billingDay'>): IsoMonth =>
  Number(today.slice(8, 10)) >= rules.billingDay ? addMonths(monthOf(today), 1) : monthOf(today);

export const invoiceLabel = (n: number) => `INV-${String(n).padStart(6, '0')}`;
export const creditNoteLabel = (n: number) => `CN-${String(n).padStart(6, '0')}`;
