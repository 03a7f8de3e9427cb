import { sql } from 'kysely';
import type { IsoDate } from '../../platform/calendar.js';
import type { InvoiceStatus } from '../../platform/db/types.js';

/**
 * An invoice that blocks booking for its account: escalated after failed charges, past its due date, or written
 * off. The reservation engine and the invoice lists read this one rule.
 */
export const overdueInvoice = (alias: string, today: IsoDate) => {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  return sql<boolean>`(${col('status')} = 'uncollectible' or (${col('status')} = 'open' and (${col('due_on')} < ${today} or ${col('escalated_at')} is not null)))`;
};

export const isOverdue = (i: { status: InvoiceStatus; due_on: IsoDate; escalated_at: Date | null }, today: IsoDate) =>
  i.status === 'uncollectible' || (i.status === 'open' && (i.escalated_at !== null || i.due_on < today));
