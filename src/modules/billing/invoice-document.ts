import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { IsoDate, IsoMonth } from '../../platform/calendar.js';
import type { TaxBreakdownRow, TaxCategory } from '../../platform/db/types.js';
import { day, DEFAULT_LOCALE, intlFor, render, text as words, type Locale, type MessageId, type Value } from '../../platform/i18n.js';
import type { InvoiceDocument } from './invoice-document.types.js';

export type { InvoiceDocument } from './invoice-document.types.js';

/**
 * Integer minor units as printed in a language, e.g. ￥31,350 or $12.34 (the ja-JP yen sign is the full-width ￥;
 * in English ¥31,350). Any currency, so a message takes the amount as a string written by this.
 */
export function formatMoney(amount: number, currency: string, locale: Locale = DEFAULT_LOCALE): string {
  const format = new Intl.NumberFormat(locale === 'ja' ? 'ja-JP' : 'en-US', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 0;
  return format.format(amount / 10 ** digits);
}

export function documentTitle(kind: InvoiceDocument['kind'], locale: Locale = DEFAULT_LOCALE): string {
  return render(words('documents.title', { kind }), locale);
}

/** The document's words in its reader's language, and its dates as that language writes them (no time zone: calendar dates). */
function wordsIn(locale: Locale) {
  const intl = intlFor(locale);
  return {
    say: (id: MessageId, values?: Record<string, Value>) => render(words(id, values), locale),
    date: (date: IsoDate) => intl.formatDate(day(date), { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }),
    month: (month: IsoMonth) => intl.formatDate(day(`${month}-01`), { year: 'numeric', month: 'long', timeZone: 'UTC' }),
  };
}
const LINE_RATE: Record<TaxCategory, number> = { standard_10: 10, reduced_8: 8, exempt: 0 };

// The TTFs are ~5 MB each: read them once per process; pdfkit embeds only the glyphs a document uses.
let fonts: Promise<{ regular: Buffer; bold: Buffer }> | undefined;
function loadFonts() {
  const require = createRequire(import.meta.url);
  const load = (file: string) => readFile(require.resolve(`@expo-google-fonts/noto-sans-jp/${file}`));
  fonts ??= Promise.all([load('400Regular/NotoSansJP_400Regular.ttf'), load('700Bold/NotoSansJP_700Bold.ttf')]).then(
    ([regular, bold]) => ({ regular, bold }),
  );
  return fonts;
}

const MARGIN = 48;
const FOOTER = 28;
const GREY = '#666666';
const RULE = '#bbbbbb';

/** The document with its labels in `locale`, the language of the person downloading it. */
export async function renderInvoicePdf(input: InvoiceDocument, locale: Locale = DEFAULT_LOCALE): Promise<Buffer> {
  const { regular, bold } = await loadFonts();
  const { say, date: formatDate, month: formatMonth } = wordsIn(locale);
  const title = documentTitle(input.kind, locale);
  const pdf = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN + FOOTER, left: MARGIN, right: MARGIN },
    bufferPages: true,
    displayTitle: true,
    // The file ID is a hash of the info, so a fixed date makes two renders of one document the same bytes.
    info: { Title: `${title} ${input.number}`, Author: input.issuer.name, CreationDate: new Date(`${input.issuedOn}T00:00:00Z`) },
  });
  pdf.registerFont('jp', regular);
  pdf.registerFont('jp-bold', bold);
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  const money = (amount: number) => formatMoney(amount, input.currency, locale);
  const left = MARGIN;
  const right = pdf.page.width - MARGIN;
  const width = right - left;
  const bottom = () => pdf.page.height - pdf.page.margins.bottom;
  let y = MARGIN;

  const text = (s: string, x: number, at: number, w: number, opts: { size?: number; bold?: boolean; align?: 'left' | 'right' | 'center'; color?: string } = {}) => {
    pdf.font(opts.bold ? 'jp-bold' : 'jp').fontSize(opts.size ?? 9).fillColor(opts.color ?? 'black');
    pdf.text(s, x, at, { width: w, align: opts.align ?? 'left' });
    return pdf.y;
  };
  const heightOf = (s: string, w: number, size = 9, isBold = false) =>
    pdf.font(isBold ? 'jp-bold' : 'jp').fontSize(size).heightOfString(s, { width: w });
  const rule = (at: number, color = RULE) => pdf.moveTo(left, at).lineTo(right, at).lineWidth(0.5).strokeColor(color).stroke();
  const newPage = () => {
    pdf.addPage();
    y = text(say('documents.continued', { title, number: input.number }), left, MARGIN, width, { color: GREY }) + 10;
  };
  const ensure = (height: number) => {
    if (y + height > bottom()) newPage();
  };
  /** Label on the left, amount right-aligned: the shape of every totals row. */
  const pairRow = (label: string, value: string, x: number, w: number, opts: { bold?: boolean; size?: number } = {}) => {
    const valueWidth = 110;
    const h = Math.max(heightOf(label, w - valueWidth, opts.size, opts.bold), heightOf(value, valueWidth, opts.size, opts.bold));
    ensure(h + 4);
    text(label, x, y, w - valueWidth, opts);
    text(value, x + w - valueWidth, y, valueWidth, { ...opts, align: 'right' });
    y += h + 4;
  };

  // Header: title left, the document's identifiers right.
  const titleWidth = width - 210;
  const titleY = text(title, left, y, titleWidth, { size: input.kind === 'credit_note' ? 16 : 20, bold: true });
  const meta: Array<[string, string]> = [
    [say('documents.number'), input.number],
    [say('documents.issue_date'), formatDate(input.issuedOn)],
  ];
  if (input.kind === 'invoice') {
    if (input.dueOn) meta.push([say('documents.due_date'), formatDate(input.dueOn)]);
    meta.push([say('documents.period'), formatMonth(input.period)]);
  }
  let metaY = y;
  for (const [label, value] of meta) {
    text(label, right - 200, metaY, 95, { color: GREY });
    metaY = text(value, right - 105, metaY, 105, { align: 'right' }) + 2;
  }
  y = Math.max(metaY, titleY) + 16;

  // Recipient left, issuer right: both are items a qualified invoice must carry.
  const partiesY = y;
  let recipientY = text(say('documents.recipient', { name: input.recipient.name }), left, y, 250, { size: 14, bold: true });
  pdf.moveTo(left, recipientY + 1).lineTo(left + 250, recipientY + 1).lineWidth(0.8).strokeColor('black').stroke();
  recipientY += 5;
  if (input.recipient.memberNumber !== null) {
    recipientY = text(say('documents.member_number', { memberNumber: String(input.recipient.memberNumber) }), left, recipientY, 250, { color: GREY });
  }
  const issuerX = right - 220;
  let issuerY = text(input.issuer.name, issuerX, partiesY, 220, { size: 11, bold: true });
  if (input.issuer.address) issuerY = text(input.issuer.address, issuerX, issuerY + 2, 220);
  if (input.issuer.registrationNumber) {
    issuerY = text(say('documents.registration_number', { registrationNumber: input.issuer.registrationNumber }), issuerX, issuerY + 4, 220, { size: 10, bold: true });
  } else {
    // Without a number this is not a qualified invoice; say so rather than leave the reader to guess.
    issuerY = text(say('documents.no_registration_number'), issuerX, issuerY + 4, 220, { size: 7.5, color: GREY });
  }
  y = Math.max(recipientY, issuerY) + 18;

  // The headline amount, boxed.
  const headlineLabel = say('documents.headline', { kind: input.kind });
  const headlineAmount = input.kind === 'receipt' ? input.amountPaid : input.total;
  pdf.rect(left, y, width, 34).lineWidth(0.8).strokeColor('black').stroke();
  text(headlineLabel, left + 10, y + 10, 200, { size: 11, bold: true });
  text(say('documents.tax_included_amount', { amount: money(headlineAmount) }), left + 200, y + 7, width - 210, { size: 15, bold: true, align: 'right' });
  y += 44;
  if (input.kind === 'receipt') {
    y = text(say('documents.receipt_for', { period: formatMonth(input.period) }), left, y, width, { size: 10 }) + 2;
    y = text(say('documents.received'), left, y, width, { color: GREY }) + 12;
  }
  if (input.kind === 'credit_note') {
    if (input.correctsInvoiceNumber) y = text(say('documents.corrects_invoice', { number: input.correctsInvoiceNumber }), left, y, width, { size: 10 }) + 2;
    if (input.reason) y = text(say('documents.reason', { reason: input.reason }), left, y, width, { size: 10 }) + 2;
    y += 10;
  }

  // Lines: paginated by hand so each page repeats the column header and no row is split.
  const cols = { period: left, description: left + 66, rate: right - 160, amount: right - 90 };
  const descriptionWidth = cols.rate - cols.description - 8;
  const tableHeader = () => {
    pdf.rect(left, y, width, 18).fillColor('#eeeeee').fill();
    text(say('documents.period'), cols.period + 4, y + 4, 62, { size: 8, bold: true });
    text(say('documents.column.description'), cols.description, y + 4, descriptionWidth, { size: 8, bold: true });
    text(say('documents.column.tax'), cols.rate, y + 4, 70, { size: 8, bold: true });
    text(say('documents.column.amount'), cols.amount, y + 4, 90, { size: 8, bold: true, align: 'right' });
    y += 22;
  };
  if (input.lines.length > 0) {
    ensure(60);
    tableHeader();
    for (const line of input.lines) {
      const h = heightOf(line.description, descriptionWidth);
      if (y + h + 6 > bottom()) {
        newPage();
        tableHeader();
      }
      text(formatMonth(line.period), cols.period + 4, y, 62);
      text(line.description, cols.description, y, descriptionWidth);
      const lineTax = { category: line.taxCategory, rate: LINE_RATE[line.taxCategory], included: line.priceIncludesTax ? 'yes' : 'no' };
      text(say('documents.line_tax', lineTax), cols.rate, y, 70);
      text(money(line.amount), cols.amount, y, 90, { align: 'right' });
      y += h + 3;
      rule(y);
      y += 3;
    }
    if (input.lines.some((line) => line.taxCategory === 'reduced_8')) {
      y = text(say('documents.reduced_rate_note'), left, y + 2, width, { size: 8 }) + 4;
    }
    y += 10;
  }

  // Totals per rate: the per-rate amounts and tax are what the recipient's tax credit is claimed from.
  const totalsX = left + 180;
  const totalsWidth = right - totalsX;
  ensure(30 + 18 * (input.taxBreakdown.length + 4));
  y = text(say('documents.breakdown', { kind: input.kind }), totalsX, y, totalsWidth, { size: 8, color: GREY }) + 3;
  for (const row of input.taxBreakdown) {
    const perRate = { category: row.taxCategory, rate: row.ratePercent, taxable: money(row.taxableAmount), tax: money(row.tax) };
    pairRow(say('documents.per_rate', perRate), say('documents.per_rate_total', { total: money(row.total) }), totalsX, totalsWidth);
  }
  pdf.moveTo(totalsX, y).lineTo(right, y).lineWidth(0.5).strokeColor(RULE).stroke();
  y += 4;
  pairRow(say('documents.subtotal'), money(input.subtotalExcludingTax), totalsX, totalsWidth);
  pairRow(say('documents.consumption_tax'), money(input.taxTotal), totalsX, totalsWidth);
  pairRow(say('documents.total', { kind: input.kind }), money(input.total), totalsX, totalsWidth, { bold: true, size: 12 });
  if (input.kind === 'invoice' && input.amountPaid > 0) pairRow(say('documents.paid'), money(input.amountPaid), totalsX, totalsWidth);
  if (input.amountRefunded > 0 && input.kind !== 'credit_note') pairRow(say('documents.refunded'), money(input.amountRefunded), totalsX, totalsWidth);

  if (input.kind === 'receipt' && input.payments.length > 0) {
    y += 12;
    ensure(20 + 16 * input.payments.length);
    y = text(say('documents.payments'), left, y, width, { size: 10, bold: true }) + 4;
    for (const payment of input.payments) {
      ensure(16);
      text(formatDate(payment.date), left, y, 120);
      text(say('documents.method', { method: payment.method }), left + 130, y, 120);
      text(money(payment.amount), left + 260, y, 100, { align: 'right' });
      y += 16;
    }
  }

  // Page numbers go on last, once the page count is known.
  const { start, count } = pdf.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    pdf.switchToPage(i);
    // Writing inside the bottom margin would otherwise make pdfkit open another page.
    const margin = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    text(`${input.number}  ${i - start + 1} / ${count}`, left, pdf.page.height - MARGIN, width, { size: 7.5, color: GREY, align: 'center' });
    pdf.page.margins.bottom = margin;
  }
  pdf.end();
  return done;
}
