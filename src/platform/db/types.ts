/**
 * The database's table types, for the code to import. The tables themselves are generated from the migrated schema
 * into generated.ts (`npm run gen:db`, docs/database-types.md); this file only names what the code refers to:
 * the value sets of check-constrained columns, and a few row shapes.
 */
import type { Insertable, Selectable } from 'kysely';
import type * as G from './generated.js';

export type { Address, EmergencyContact, TaxBreakdownRow } from './column-types.js';
export type * from './generated.js';

/** The values a column can hold when read: the literals of its `check (… in (…))`, without null. */
type Values<Table, Column extends keyof Selectable<Table>> = NonNullable<Selectable<Table>[Column]>;

export type TenantStatus = Values<G.PlatformTenants, 'status'>;
export type Tier = Values<G.PlatformTenants, 'tier'>;
export type MigrationStatus = Values<G.PlatformPlacements, 'migration_status'>;
export type StaffRole = Values<G.AppStaff, 'role'>;
export type MailStatus = Values<G.AppOutbox, 'status'>;
// Read straight off the history's checked column: members.status and from_status are typed with this name
// (scripts/gen-db.ts), so going through their tables would make the name refer to itself.
export type MemberStatus = G.AppMemberStatusEvents['to_status'];
export type ActorKind = Values<G.AppReservations, 'actor_kind'>;
export type ProrationRule = Values<G.AppTenantSettings, 'proration_rule'>;
export type TaxRounding = Values<G.AppTenantSettings, 'tax_rounding'>;
export type TaxCategory = Values<G.AppPlanVersions, 'tax_category'>;
export type PlanKind = Values<G.AppPlans, 'kind'>;
export type CreditGrant = Values<G.AppPlanVersions, 'credit_grant'>;
export type CreditKind = Values<G.AppCreditLedger, 'kind'>;
export type PenaltyRule = Values<G.AppTenantSettings, 'late_cancel_penalty'>;
export type LessonStatus = Values<G.AppLessons, 'status'>;
export type ReservationStatus = Values<G.AppReservations, 'status'>;
export type WaitlistStatus = Values<G.AppWaitlistEntries, 'status'>;
export type InvoiceStatus = Values<G.AppInvoices, 'status'>;
export type AuditOutcome = Values<G.AppAuditLog, 'outcome'>;
/** The monthly run's invoice of an account and month, or a sale's first invoice. */
export type InvoiceKind = Values<G.AppInvoices, 'kind'>;
export type GatewayName = Values<G.AppTenantSettings, 'payment_gateway'>;
export type DunningFinalAction = Values<G.AppTenantSettings, 'dunning_final_action'>;
export type InvoiceLineCode = Values<G.AppInvoiceLines, 'code'>;
export type SettlementStatus = Values<G.AppPaymentAttempts, 'status'>;
export type PaymentInitiator = Values<G.AppPaymentAttempts, 'initiated_by'>;
export type LedgerKind = Values<G.AppBillingLedger, 'kind'>;

export type Tenant = Selectable<G.PlatformTenants>;
export type Placement = Selectable<G.PlatformPlacements>;
export type Staff = Selectable<G.AppStaff>;
export type NewStaff = Insertable<G.AppStaff>;
