import type { IsoDate, IsoMonth } from '../../platform/calendar.js';
import type { TaxBreakdownRow, TaxCategory } from '../../platform/db/types.js';

/**
 * Everything a printed invoice, receipt or credit note shows: the qualified-invoice items (issuer and
 * registration number, date, lines, totals and tax per rate, recipient). Amounts are integer minor units.
 */
export interface InvoiceDocument {
  kind: 'invoice' | 'receipt' | 'credit_note';
  /** As printed, e.g. INV-000123 or CN-000004. */
  number: string;
  issuedOn: IsoDate;
  period: IsoMonth;
  dueOn: IsoDate | null;
  currency: string;
  issuer: { name: string; address: string; registrationNumber: string | null };
  recipient: { name: string; memberNumber: number | null };
  lines: Array<{ period: IsoMonth; description: string; amount: number; taxCategory: TaxCategory; priceIncludesTax: boolean }>;
  taxBreakdown: TaxBreakdownRow[];
  subtotalExcludingTax: number;
  taxTotal: number;
  total: number;
  amountPaid: number;
  amountRefunded: number;
  /** Receipts: the payments received. */
  payments: Array<{ date: IsoDate; method: 'card' | 'cash' | 'bank_transfer'; amount: number }>;
  /** Credit notes: the invoice it corrects and why. */
  correctsInvoiceNumber: string | null;
  reason: string | null;
}
