import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it } from 'vitest';
import { formatMoney, renderInvoicePdf } from './invoice-document.js';
import type { InvoiceDocument } from './invoice-document.types.js';

/** The text of each page, in reading order. */
async function pagesText(pdf: Buffer): Promise<string[]> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''));
  }
  await doc.destroy();
  return pages;
}

// Three ¥105 lines at 10% tax-exclusive (¥315 + floor(31.5) = ¥346) and one ¥200 at 8% (¥16): the tax itself is
// worked out elsewhere, so the numbers are written out here.
function invoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    kind: 'invoice',
    number: 'INV-000123',
    issuedOn: '2026-04-30',
    period: '2026-05',
    dueOn: '2026-05-07',
    currency: 'JPY',
    issuer: { name: 'スタジオ青山', address: '東京都港区南青山1-2-3 青山ビル4F', registrationNumber: 'T1234567890123' },
    recipient: { name: '佐藤 花子', memberNumber: 42 },
    lines: [
      { period: '2026-05', description: 'ヨガ月会費 Monthly yoga', amount: 105, taxCategory: 'standard_10', priceIncludesTax: false },
      { period: '2026-05', description: 'ロッカー使用料 Locker', amount: 105, taxCategory: 'standard_10', priceIncludesTax: false },
      { period: '2026-05', description: 'タオルレンタル Towel rental', amount: 105, taxCategory: 'standard_10', priceIncludesTax: false },
      { period: '2026-05', description: 'プロテインドリンク Protein drink', amount: 200, taxCategory: 'reduced_8', priceIncludesTax: false },
    ],
    taxBreakdown: [
      { taxCategory: 'standard_10', ratePercent: 10, taxableAmount: 315, tax: 31, total: 346 },
      { taxCategory: 'reduced_8', ratePercent: 8, taxableAmount: 200, tax: 16, total: 216 },
    ],
    subtotalExcludingTax: 515,
    taxTotal: 47,
    total: 562,
    amountPaid: 0,
    amountRefunded: 0,
    payments: [],
    correctsInvoiceNumber: null,
    reason: null,
    ...overrides,
  };
}

describe('formatMoney', () => {
  it('prints yen without decimals, with the full-width yen sign ja-JP uses', () => {
    expect(formatMoney(31350, 'JPY')).toBe('￥31,350');
  });
  it('prints other currencies with their minor-unit digits', () => {
    expect(formatMoney(1234, 'USD')).toBe('$12.34');
  });
  it('prints yen with the half-width sign in English', () => {
    expect(formatMoney(31350, 'JPY', 'en')).toBe('¥31,350');
  });
});

describe('renderInvoicePdf', () => {
  it('prints every qualified-invoice item of an invoice, in a small file', async () => {
    const pdf = await renderInvoicePdf(invoice(), 'ja');
    expect(pdf.length).toBeLessThan(200_000);
    const [text] = await pagesText(pdf);
    expect(text).toContain('請求書');
    expect(text).not.toContain('Invoice');
    expect(text).toContain('登録番号 T1234567890123');
    expect(text).toContain('INV-000123');
    expect(text).toContain('T1234567890123');
    expect(text).toContain('スタジオ青山');
    expect(text).toContain('佐藤 花子 様');
    expect(text).toContain('2026年4月30日');
    expect(text).toContain('2026年5月7日');
    for (const line of invoice().lines) expect(text).toContain(line.description);
    expect(text).toContain('10%対象 ￥315（消費税 ￥31）');
    expect(text).toContain('8%対象 ￥200（消費税 ￥16）');
    expect(text).toContain('※ 軽減税率対象');
    expect(text).toMatch(/消費税\s*￥47/);
    expect(text).toMatch(/合計\s*￥562/);
  });

  it('prints the labels in English for a reader who asks in English, keeping every qualified-invoice item', async () => {
    const [text] = await pagesText(await renderInvoicePdf(invoice(), 'en'));
    expect(text).toContain('Invoice');
    expect(text).toContain('Registration No. T1234567890123');
    expect(text).toContain('スタジオ青山');
    expect(text).toContain('佐藤 花子');
    expect(text).not.toContain('様');
    expect(text).toMatch(/Issue date\s*April 30, 2026/);
    expect(text).toMatch(/Due date\s*May 7, 2026/);
    expect(text).toContain('Subject to 10%: ¥315 (tax ¥31)');
    expect(text).toContain('Subject to 8%: ¥200 (tax ¥16) * reduced rate');
    expect(text).toMatch(/Consumption tax\s*¥47/);
    expect(text).toMatch(/Total\s*¥562/);
    expect(text).not.toMatch(/請求書|登録番号|合計|税込/);
  });

  it('renders the same document to the same bytes', async () => {
    const [a, b] = await Promise.all([renderInvoicePdf(invoice()), renderInvoicePdf(invoice())]);
    expect(a.equals(b)).toBe(true);
  });

  it('says so when the issuer has no registration number', async () => {
    const pdf = await renderInvoicePdf(invoice({ issuer: { name: 'スタジオ青山', address: '', registrationNumber: null } }));
    const [text] = await pagesText(pdf);
    expect(text).toContain('適格請求書発行事業者の登録番号なし');
    expect(text).not.toContain('登録番号 T');
  });

  it('prints a receipt with its payments', async () => {
    const pdf = await renderInvoicePdf(
      invoice({ kind: 'receipt', number: 'INV-000123', dueOn: null, amountPaid: 562, payments: [{ date: '2026-05-02', method: 'card', amount: 562 }] }),
    );
    const [text] = await pagesText(pdf);
    expect(text).toContain('領収書');
    expect(text).toContain('T1234567890123');
    expect(text).toContain('但し 2026年5月分 月会費等として');
    expect(text).toMatch(/2026年5月2日\s*カード\s*￥562/);
    expect(text).toContain('10%対象 ￥315（消費税 ￥31）');
  });

  it('prints a credit note with the invoice it corrects', async () => {
    const pdf = await renderInvoicePdf(
      invoice({
        kind: 'credit_note',
        number: 'CN-000004',
        dueOn: null,
        lines: [],
        taxBreakdown: [{ taxCategory: 'standard_10', ratePercent: 10, taxableAmount: 100, tax: 10, total: 110 }],
        subtotalExcludingTax: 100,
        taxTotal: 10,
        total: 110,
        correctsInvoiceNumber: 'INV-000123',
        reason: '休会に伴う日割り返金',
      }),
    );
    const [text] = await pagesText(pdf);
    expect(text).toContain('返還インボイス（適格返還請求書）');
    expect(text).toContain('CN-000004');
    expect(text).toContain('INV-000123');
    expect(text).toContain('休会に伴う日割り返金');
    expect(text).toContain('10%対象 ￥100（消費税 ￥10）');
    expect(text).toContain('対象請求書：INV-000123');
    expect(text).toMatch(/返還額合計\s*￥110/);
  });

  it('paginates a long invoice, repeating the header row, with the total on the last page', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => ({
      period: '2026-05',
      description: i % 10 === 0 ? `明細 ${i + 1} ${'長い説明文が折り返されることを確かめるための文章です。'.repeat(3)}` : `明細 ${i + 1}`,
      amount: 1000,
      taxCategory: 'standard_10' as const,
      priceIncludesTax: true,
    }));
    const pdf = await renderInvoicePdf(
      invoice({
        lines,
        taxBreakdown: [{ taxCategory: 'standard_10', ratePercent: 10, taxableAmount: 54546, tax: 5454, total: 60000 }],
        subtotalExcludingTax: 54546,
        taxTotal: 5454,
        total: 60000,
      }),
    );
    const pages = await pagesText(pdf);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const page of pages.filter((p) => p.includes('明細 '))) expect(page).toContain('内容');
    expect(pages.join('')).toContain('明細 60');
    expect(pages.at(-1)).toMatch(/合計\s*￥60,000/);
    expect(pages.at(-1)).toContain(`${pages.length} / ${pages.length}`);
  });
});
