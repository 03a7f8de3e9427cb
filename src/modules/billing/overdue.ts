import { sql } from 'kysely';
import type { IsoDate } from '../../platform/calendar.js';
import type { InvoiceStatus } from '../../platform/db/types.js';

/**
 * An invoice that blocks booking for its account: open and escalated after failed charges, or past its due date.
 * A written-off invoice (uncollectible) is a loss the studio no longer collects, so it neither counts as overdue
 * nor blocks booking; a late payment of it is still recorded. The reservation engine and the invoice lists read
 * this one rule.
 */
export const overdueInvoice = (alias: string, today: IsoDate) => {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  return sql<boolean>`(${col('status')} = 'open' and (${col('due_on')} < ${today} or ${col('escalated_at')} is not null))`;
};

export const isOverdue = (i: { status: InvoiceStatus; due_on: IsoDate; escalated_at: Date | null }, today: IsoDate) =>
  i.status === 'open' && (i.escalated_at !== null || i.due_on < today);
