/**
 * The column types the database cannot tell the generator (src/platform/db/generated.ts imports them): the shape of
 * the JSON the code stores, and columns the code must not write.
 */
import type { ColumnType } from 'kysely';
import type { TaxCategory } from './types.js';

/** A jsonb column of a known shape: written as the JSON text (JSON.stringify), read back parsed. */
export type JsonText<T> = ColumnType<T, string | undefined, string>;
export type NullableJsonText<T> = ColumnType<T | null, string | null | undefined, string | null>;

/** A column only the database writes (`generated always as … stored`, or kept by a trigger): the code reads it. */
export type ReadOnly<T> = ColumnType<T, never, never>;

export interface Address {
  postalCode?: string;
  prefecture?: string;
  city?: string;
  line1?: string;
  line2?: string;
}

export interface EmergencyContact {
  name: string;
  relationship?: string;
  phone: string;
}

export interface TaxBreakdownRow {
  taxCategory: TaxCategory;
  ratePercent: number;
  taxableAmount: number;
  tax: number;
  total: number;
}

/** An audit entry's changed fields, as they were before the write and after it. */
export interface AuditChanges {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}
