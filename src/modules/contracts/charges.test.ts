import { describe, expect, it } from 'vitest';
import {
  chargedOn,
  chargesForPeriod,
  earliestChangeMonth,
  firstMonthAmount,
  taxSummary,
  type ChargeTerms,
  type ContractTimeline,
} from './charges.js';
import { render } from '../../platform/i18n.js';

const terms = (over: Partial<ChargeTerms> = {}): ChargeTerms => ({
  planId: '00000000-0000-4000-8000-000000000001',
  version: 1,
  name: 'Monthly',
  price: 8800,
  priceIncludesTax: true,
  taxCategory: 'standard_10',
  enrollmentFee: 5500,
  annualFee: null,
  leaveFee: 1100,
  ...over,
});

const timeline = (over: Partial<ContractTimeline> = {}): ContractTimeline => ({
  contractId: '00000000-0000-4000-8000-0000000000c1',
  kind: 'monthly',
  startDate: '2026-11-18',
  endDate: null,
  plans: [{ from: '2026-11-18', terms: terms() }],
  leaves: [],
  options: [],
  ...over,
});

const daily = { prorationRule: 'daily' as const };
const codes = (lines: Array<{ code: string; amount: number }>) => lines.map((l) => `${l.code}:${l.amount}`);

describe('the first month', () => {
  it('is pro-rated by day from the start day, rounded down; full or free by the other rules', () => {
    // 18–30 November is 13 of 30 days: 8800 × 13 / 30 = 3813.33…
    expect(firstMonthAmount(8800, '2026-11-18', 'daily')).toBe(3813);
    expect(firstMonthAmount(8800, '2026-11-18', 'full')).toBe(8800);
    expect(firstMonthAmount(8800, '2026-11-18', 'free_until_first')).toBe(0);
    // February of a leap year has 29 days.
    expect(firstMonthAmount(2900, '2028-02-20', 'daily')).toBe(1000);
  });

  it('is a full month under every rule when the contract starts on the 1st', () => {
    for (const rule of ['daily', 'full', 'free_until_first'] as const) expect(firstMonthAmount(8800, '2026-12-01', rule)).toBe(8800);
  });

  it('words its lines in one language, the studio\'s, around the plan\'s own name', () => {
    const t = timeline({ plans: [{ from: '2026-11-18', terms: terms({ name: '月4回', annualFee: 3300 }) }], leaves: [{ fromMonth: '2026-12', returnMonth: null }] });
    const say = (period: string, locale: 'ja' | 'en') => chargesForPeriod(t, period, daily).map((l) => render(l.description, locale));
    expect(say('2026-11', 'ja')).toEqual(['入会金（月4回）', '年会費（月4回）', '月4回（初月分）']);
    expect(say('2026-12', 'ja')).toEqual(['休会費（月4回）']);
    expect(say('2026-11', 'en')).toEqual(['Enrollment fee (月4回)', 'Annual fee (月4回)', '月4回 (first month)']);
    expect(say('2026-12', 'en')).toEqual(['Leave fee (月4回)']);
  });

  it('carries the enrollment fee and the annual fee, which comes back on each anniversary month', () => {
    const t = timeline({ plans: [{ from: '2026-11-18', terms: terms({ annualFee: 3300 }) }] });
    expect(codes(chargesForPeriod(t, '2026-11', daily))).toEqual(['enrollment_fee:5500', 'annual_fee:3300', 'first_month_fee:3813']);
    expect(codes(chargesForPeriod(t, '2026-12', daily))).toEqual(['monthly_fee:8800']);
    expect(codes(chargesForPeriod(t, '2027-11', daily))).toEqual(['annual_fee:3300', 'monthly_fee:8800']);
  });
});

describe('a contract over time', () => {
  it('charges the leave fee instead of the price (and no options) in leave months, and nothing outside the contract', () => {
    const t = timeline({
      endDate: '2027-04-30',
      leaves: [{ fromMonth: '2027-01', returnMonth: '2027-03' }],
      options: [{ id: '00000000-0000-4000-8000-0000000000e1', from: '2026-11-18', until: null, terms: terms({ name: 'Locker', price: 1100 }) }],
    });
    expect(chargesForPeriod(t, '2026-10', daily)).toEqual([]);
    expect(codes(chargesForPeriod(t, '2026-12', daily))).toEqual(['monthly_fee:8800', 'option_fee:1100']);
    expect(codes(chargesForPeriod(t, '2027-01', daily))).toEqual(['leave_fee:1100']);
    expect(codes(chargesForPeriod(t, '2027-02', daily))).toEqual(['leave_fee:1100']);
    expect(codes(chargesForPeriod(t, '2027-03', daily))).toEqual(['monthly_fee:8800', 'option_fee:1100']);
    expect(codes(chargesForPeriod(t, '2027-04', daily))).toEqual(['monthly_fee:8800', 'option_fee:1100']);
    expect(chargesForPeriod(t, '2027-05', daily)).toEqual([]);
  });

  it('uses the plan version in force in each month', () => {
    const t = timeline({
      plans: [
        { from: '2026-11-18', terms: terms() },
        { from: '2027-02-01', terms: terms({ name: 'Unlimited', price: 12100, version: 3 }) },
      ],
    });
    expect(chargesForPeriod(t, '2027-01', daily)[0]).toMatchObject({ amount: 8800, planVersion: 1 });
    expect(chargesForPeriod(t, '2027-02', daily)[0]).toMatchObject({ amount: 12100, planVersion: 3, description: { id: 'contracts.line.plan', values: { plan: 'Unlimited' } } });
  });

  it('charges a pack once, in its first month', () => {
    const t = timeline({ kind: 'pack', startDate: '2026-11-18', endDate: '2027-02-15', plans: [{ from: '2026-11-18', terms: terms({ name: '5 lessons', price: 11000 }) }] });
    expect(codes(chargesForPeriod(t, '2026-11', daily))).toEqual(['pack_purchase:11000']);
    expect(chargesForPeriod(t, '2026-12', daily)).toEqual([]);
  });
});

describe('dates', () => {
  const rules = { cutoffDay: 10, billingDay: 11 };
  it('takes a change applied up to the cut-off day from next month, and a later one from the month after', () => {
    expect(earliestChangeMonth('2026-11-10', rules)).toBe('2026-12');
    expect(earliestChangeMonth('2026-11-11', rules)).toBe('2027-01');
    expect(earliestChangeMonth('2026-12-31', rules)).toBe('2027-02');
  });

  it('charges a month on the billing day of the month before, or today when that day has passed', () => {
    expect(chargedOn('2027-01', '2026-11-18', rules)).toBe('2026-12-11');
    expect(chargedOn('2026-12', '2026-11-18', rules)).toBe('2026-11-18');
    expect(chargedOn('2026-11', '2026-11-18', rules)).toBe('2026-11-18');
  });
});

describe('consumption tax (qualified-invoice rule)', () => {
  const line = (amount: number, taxCategory: ChargeTerms['taxCategory'], priceIncludesTax: boolean) => ({ amount, taxCategory, priceIncludesTax });

  it('rounds once per rate, not per line: three ¥105 lines at 10% with floor are ¥31 of tax, not ¥30', () => {
    const s = taxSummary([line(105, 'standard_10', false), line(105, 'standard_10', false), line(105, 'standard_10', false)], 'floor');
    expect(s).toMatchObject({ tax: 31, total: 346, subtotalExcludingTax: 315 });
  });

  it('sums 10% and 8% separately, finds tax inside inclusive prices, and rounds as the tenant says', () => {
    const lines = [line(1100, 'standard_10', true), line(1080, 'reduced_8', true), line(999, 'exempt', true)];
    expect(taxSummary(lines, 'floor').byRate).toEqual([
      { taxCategory: 'standard_10', ratePercent: 10, taxableAmount: 1000, tax: 100, total: 1100 },
      { taxCategory: 'reduced_8', ratePercent: 8, taxableAmount: 1000, tax: 80, total: 1080 },
      { taxCategory: 'exempt', ratePercent: 0, taxableAmount: 999, tax: 0, total: 999 },
    ]);
    // 3813 tax-inclusive at 10%: 346.63… of tax.
    expect(taxSummary([line(3813, 'standard_10', true)], 'floor').tax).toBe(346);
    expect(taxSummary([line(3813, 'standard_10', true)], 'half_up').tax).toBe(347);
    expect(taxSummary([line(3813, 'standard_10', true)], 'ceil').tax).toBe(347);
    expect(taxSummary([line(105, 'standard_10', false)], 'half_up').tax).toBe(11);
  });

  it('rounds once per rate when one rate mixes tax-inclusive and tax-exclusive lines (hand-computed)', () => {
    const mixed = [line(105, 'standard_10', false), line(105, 'standard_10', true), line(120, 'reduced_8', false), line(120, 'reduced_8', true)];
    // 10%: ¥105 before tax grossed up is 105 + ⌊10.5⌋ = ¥115; with the ¥105 tax-inclusive line the rate's total is
    // ¥220, and its tax ⌊220 × 10 / 110⌋ = ¥20. Rounding each group apart gave ⌊10.5⌋ + ⌊9.54…⌋ = ¥19.
    // 8%: 120 + ⌊9.6⌋ = ¥129, + ¥120 = ¥249; tax ⌊249 × 8 / 108⌋ = ⌊18.44…⌋ = ¥18 (apart: ⌊9.6⌋ + ⌊8.88…⌋ = ¥17).
    expect(taxSummary(mixed, 'floor')).toEqual({
      byRate: [
        { taxCategory: 'standard_10', ratePercent: 10, taxableAmount: 200, tax: 20, total: 220 },
        { taxCategory: 'reduced_8', ratePercent: 8, taxableAmount: 231, tax: 18, total: 249 },
      ],
      subtotalExcludingTax: 431,
      tax: 38,
      total: 469,
    });
    // Half-up: 105 + round(10.5) = ¥116, + ¥105 = ¥221; tax round(20.09…) = ¥20 (apart: 11 + round(9.54…) = ¥21).
    expect(taxSummary(mixed.slice(0, 2), 'half_up')).toMatchObject({ tax: 20, total: 221, subtotalExcludingTax: 201 });
    // Ceil: 105 + ⌈10.5⌉ = ¥116, + ¥105 = ¥221; tax ⌈20.09…⌉ = ¥21 (apart: 11 + ⌈9.54…⌉ = ¥21).
    expect(taxSummary(mixed.slice(0, 2), 'ceil')).toMatchObject({ tax: 21, total: 221, subtotalExcludingTax: 200 });
  });

  it('gives an invoice priced one way the tax of that basis, rounded once, under every rounding rule', () => {
    const once = { floor: Math.floor, ceil: Math.ceil, half_up: (x: number) => Math.floor(x + 0.5) };
    for (const [rounding, round] of Object.entries(once) as Array<[keyof typeof once, (x: number) => number]>) {
      for (const [category, rate] of [['standard_10', 10], ['reduced_8', 8]] as const) {
        // Every remainder modulo 100 and 108. A quotient that is whole or ends in .5 is exact in floating point.
        for (let amount = 0; amount <= 1100; amount++) {
          const exclusive = taxSummary([line(amount, category, false)], rounding);
          expect(exclusive.tax).toBe(round((amount * rate) / 100));
          expect(exclusive.subtotalExcludingTax).toBe(amount);
          const inclusive = taxSummary([line(amount, category, true)], rounding);
          expect(inclusive.tax).toBe(round((amount * rate) / (100 + rate)));
          expect(inclusive.total).toBe(amount);
        }
      }
    }
  });
});
