import { describe, expect, it } from 'vitest';
import type { TaxBreakdownRow } from '../../platform/db/types.js';
import { refundTax } from './billing.service.js';

/** An invoice of 12,080 yen: 11,000 at the standard 10% and 1,080 at the reduced 8% (both tax-inclusive). */
const invoice: TaxBreakdownRow[] = [
  { taxCategory: 'standard_10', ratePercent: 10, taxableAmount: 10_000, tax: 1_000, total: 11_000 },
  { taxCategory: 'reduced_8', ratePercent: 8, taxableAmount: 1_000, tax: 80, total: 1_080 },
];

describe('a refund’s tax', () => {
  // 5,000 of 12,080 refunded: 5,000 × 11,000 / 12,080 = 4,552.98 → 4,552, and 5,000 × 1,080 / 12,080 = 447.02 → 447;
  // the yen left over goes to the larger rate: 4,553 at 10% and 447 at 8%.
  // Tax in 4,553 at 10%: 4,553 × 10 / 110 = 413.9; in 447 at 8%: 447 × 8 / 108 = 33.1.
  it.each([
    ['floor', 413, 33],
    ['half_up', 414, 33],
    ['ceil', 414, 34],
  ] as const)('is rounded the studio’s way (%s), once per rate', (rounding, standardTax, reducedTax) => {
    expect(refundTax(5_000, 12_080, invoice, rounding)).toEqual([
      { taxCategory: 'standard_10', ratePercent: 10, taxableAmount: 4_553 - standardTax, tax: standardTax, total: 4_553 },
      { taxCategory: 'reduced_8', ratePercent: 8, taxableAmount: 447 - reducedTax, tax: reducedTax, total: 447 },
    ]);
  });

  it('adds up to the refund, and has none for a zero rate or an empty invoice', () => {
    const rows = refundTax(777, 12_080, invoice, 'half_up');
    expect(rows.reduce((s, r) => s + r.total, 0)).toBe(777);
    expect(refundTax(500, 1_000, [{ taxCategory: 'exempt', ratePercent: 0, taxableAmount: 1_000, tax: 0, total: 1_000 }], 'ceil')).toEqual([
      { taxCategory: 'exempt', ratePercent: 0, taxableAmount: 500, tax: 0, total: 500 },
    ]);
    expect(refundTax(500, 0, [], 'floor')).toEqual([]);
  });
});
