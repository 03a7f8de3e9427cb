/**
 * What a contract costs, month by month. This is the one charge computation: the contract previews call it,
 * and the billing run will call it to make invoice lines. It is pure: it reads a contract's timeline and the
 * tenant's rules, and never the database or the clock.
 */
import {
  addMonths,
  dayOfMonth,
  daysInMonth,
  firstDay,
  lastDay,
  monthOf,
  monthsBetween,
  type IsoDate,
  type IsoMonth,
} from '../../platform/calendar.js';
import type { ProrationRule, TaxCategory, TaxRounding } from '../../platform/db/types.js';
import { text, type MessageId, type Text } from '../../platform/i18n.js';

export interface ChargeTerms {
  planId: string;
  version: number;
  name: string;
  price: number;
  priceIncludesTax: boolean;
  taxCategory: TaxCategory;
  enrollmentFee: number;
  annualFee: number | null;
  leaveFee: number;
}

export interface ContractTimeline {
  contractId: string;
  kind: 'monthly' | 'pack';
  startDate: IsoDate;
  /** The last day charged for; NULL while the contract runs on. */
  endDate: IsoDate | null;
  /** Which terms apply from which date, oldest first; the first starts with the contract. */
  plans: Array<{ from: IsoDate; terms: ChargeTerms }>;
  /** Leaves in force (withdrawn ones left out): whole months, return month excluded. */
  leaves: Array<{ fromMonth: IsoMonth; returnMonth: IsoMonth | null }>;
  options: Array<{ id: string; from: IsoDate; until: IsoDate | null; terms: ChargeTerms }>;
}

export interface MembershipRules {
  prorationRule: ProrationRule;
  cutoffDay: number;
  billingDay: number;
  taxRounding: TaxRounding;
  currency: string;
}

export type ChargeCode =
  | 'monthly_fee'
  | 'first_month_fee'
  | 'enrollment_fee'
  | 'annual_fee'
  | 'leave_fee'
  | 'option_fee'
  | 'pack_purchase';

export interface ChargeLine {
  period: IsoMonth;
  code: ChargeCode;
  /**
   * Words for the line, not yet in a language: whoever shows or stores it renders it in the studio's language
   * (plan names are the studio's words, so the line must be in its language too).
   */
  description: Text;
  /** Integer minor units, as entered on the plan (tax-inclusive or not, see priceIncludesTax). */
  amount: number;
  taxCategory: TaxCategory;
  priceIncludesTax: boolean;
  contractId: string;
  planId: string;
  planVersion: number;
  optionId: string | null;
}

const TAX_RATE_PERCENT: Record<TaxCategory, number> = { standard_10: 10, reduced_8: 8, exempt: 0 };

/**
 * The first month's price under the tenant's rule. Starting on the 1st is a full month under every rule;
 * daily pro-rata counts the start day and rounds down, in the member's favour.
 */
export function firstMonthAmount(price: number, start: IsoDate, rule: ProrationRule): number {
  if (dayOfMonth(start) === 1 || rule === 'full') return price;
  if (rule === 'free_until_first') return 0;
  const total = daysInMonth(monthOf(start));
  const days = total - dayOfMonth(start) + 1;
  return Math.floor((price * days) / total);
}

const onLeave = (t: ContractTimeline, period: IsoMonth) =>
  t.leaves.some((l) => l.fromMonth <= period && (l.returnMonth === null || period < l.returnMonth));

/** The terms in force for a month: the latest plan row starting on or before the month's first day. */
function termsFor(t: ContractTimeline, period: IsoMonth): ChargeTerms {
  const from = period === monthOf(t.startDate) ? t.startDate : firstDay(period);
  let current = t.plans[0]!.terms;
  for (const p of t.plans) if (p.from <= from) current = p.terms;
  return current;
}

/** The lines one contract charges for one month (none outside the contract). */
export function chargesForPeriod(t: ContractTimeline, period: IsoMonth, rules: Pick<MembershipRules, 'prorationRule'>): ChargeLine[] {
  const startMonth = monthOf(t.startDate);
  if (period < startMonth || (t.endDate && period > monthOf(t.endDate))) return [];
  const terms = termsFor(t, period);
  const line = (code: ChargeCode, description: Text, amount: number, of: ChargeTerms = terms, optionId: string | null = null): ChargeLine => ({
    period,
    code,
    description,
    amount,
    taxCategory: of.taxCategory,
    priceIncludesTax: of.priceIncludesTax,
    contractId: t.contractId,
    planId: of.planId,
    planVersion: of.version,
    optionId,
  });

  const named = (id: MessageId, of = terms) => text(id, { plan: of.name });
  if (t.kind === 'pack') return period === startMonth ? [line('pack_purchase', named('contracts.line.plan'), terms.price)] : [];

  const lines: ChargeLine[] = [];
  const first = period === startMonth;
  if (first && terms.enrollmentFee > 0) lines.push(line('enrollment_fee', named('contracts.line.enrollment_fee'), terms.enrollmentFee));
  if (terms.annualFee && monthsBetween(startMonth, period) % 12 === 0) {
    lines.push(line('annual_fee', named('contracts.line.annual_fee'), terms.annualFee));
  }
  if (onLeave(t, period)) {
    if (terms.leaveFee > 0) lines.push(line('leave_fee', named('contracts.line.leave_fee'), terms.leaveFee));
    return lines;
  }
  if (first) {
    const amount = firstMonthAmount(terms.price, t.startDate, rules.prorationRule);
    const full = amount === terms.price;
    lines.push(line(full ? 'monthly_fee' : 'first_month_fee', named(full ? 'contracts.line.plan' : 'contracts.line.first_month'), amount));
  } else {
    lines.push(line('monthly_fee', named('contracts.line.plan'), terms.price));
  }
  for (const o of t.options) {
    if (o.from > lastDay(period) || (o.until !== null && o.until < firstDay(period))) continue;
    const amount = monthOf(o.from) === period ? firstMonthAmount(o.terms.price, o.from, rules.prorationRule) : o.terms.price;
    lines.push(line('option_fee', named('contracts.line.plan', o.terms), amount, o.terms, o.id));
  }
  return lines;
}

export function chargesForPeriods(t: ContractTimeline, from: IsoMonth, to: IsoMonth, rules: Pick<MembershipRules, 'prorationRule'>) {
  // Counted, not compared as strings: a five-digit year would sort before a four-digit one.
  const months = monthsBetween(from, to);
  if (months > 1200) throw new RangeError(`${from}..${to} is more than a century of charges`);
  return Array.from({ length: Math.max(0, months + 1) }, (_, i) => {
    const period = addMonths(from, i);
    return { period, lines: chargesForPeriod(t, period, rules) };
  });
}

/** The regular invoice date of a month: the billing day of the month before. */
export const invoiceDateOf = (period: IsoMonth, rules: Pick<MembershipRules, 'billingDay'>): IsoDate =>
  `${addMonths(period, -1)}-${String(rules.billingDay).padStart(2, '0')}`;

/** When a month's lines are charged, seen from today: on its invoice date, or now if that date has passed. */
export const chargedOn = (period: IsoMonth, today: IsoDate, rules: Pick<MembershipRules, 'billingDay'>): IsoDate => {
  const regular = invoiceDateOf(period, rules);
  return regular < today ? today : regular;
};

/**
 * The first month a change applied today can take effect from (締め日): next month when applied on or before
 * the cut-off day, otherwise the month after. A cancellation ends on the last day of the month before it.
 */
export const earliestChangeMonth = (today: IsoDate, rules: Pick<MembershipRules, 'cutoffDay'>): IsoMonth =>
  addMonths(monthOf(today), dayOfMonth(today) <= rules.cutoffDay ? 1 : 2);

/** An integer quotient rounded the studio's way (its tax rounding setting). */
export function divide(numerator: number, denominator: number, rounding: TaxRounding): number {
  if (rounding === 'floor') return Math.floor(numerator / denominator);
  if (rounding === 'ceil') return Math.ceil(numerator / denominator);
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}

export interface TaxSummary {
  byRate: Array<{ taxCategory: TaxCategory; ratePercent: number; taxableAmount: number; tax: number; total: number }>;
  subtotalExcludingTax: number;
  tax: number;
  total: number;
}

/**
 * Consumption tax the qualified-invoice way (適格請求書): lines are summed per tax rate and the tax is rounded
 * once per invoice and rate, never per line. Three ¥105 lines at 10% with floor are ¥315 + ¥31, not ¥315 + ¥30.
 *
 * The National Tax Agency lets the tax of a rate be worked out from the rate's tax-exclusive total or from its
 * tax-inclusive total. Lines may be priced either way (a plan set tax-exclusive beside a tax-inclusive penalty
 * fee), so one invoice can hold both at one rate; rounding the two groups separately would round that rate twice.
 * We take the tax-inclusive basis, because a tax-inclusive price is what the member was told they pay and must
 * come out unchanged: the rate's tax-inclusive total is the inclusive lines as priced plus the exclusive lines
 * grossed up as one sum (their price with the rate added, in whole yen, rounded by the tenant's rule: that is the
 * price of those lines, not a tax printed anywhere), and the tax is that total × rate / (100 + rate), rounded
 * once. The exclusive basis would instead have to take the tax out of every inclusive price first, and could
 * then charge a member ¥1 more or less than a price they were shown.
 *
 * When every line of a rate is priced one way, this is exactly the tax of that basis rounded once (for
 * exclusive lines, gross-up then extraction gives back the same yen under floor, ceil and half-up alike).
 */
export function taxSummary(lines: Array<Pick<ChargeLine, 'amount' | 'taxCategory' | 'priceIncludesTax'>>, rounding: TaxRounding): TaxSummary {
  const byRate: TaxSummary['byRate'] = [];
  for (const taxCategory of ['standard_10', 'reduced_8', 'exempt'] as const) {
    const rate = TAX_RATE_PERCENT[taxCategory];
    const of = lines.filter((l) => l.taxCategory === taxCategory);
    if (of.length === 0) continue;
    const exclusive = of.filter((l) => !l.priceIncludesTax).reduce((s, l) => s + l.amount, 0);
    const inclusive = of.filter((l) => l.priceIncludesTax).reduce((s, l) => s + l.amount, 0);
    const total = inclusive + exclusive + divide(exclusive * rate, 100, rounding);
    const tax = divide(total * rate, 100 + rate, rounding);
    byRate.push({ taxCategory, ratePercent: rate, taxableAmount: total - tax, tax, total });
  }
  const tax = byRate.reduce((s, r) => s + r.tax, 0);
  const total = byRate.reduce((s, r) => s + r.total, 0);
  return { byRate, subtotalExcludingTax: total - tax, tax, total };
}
