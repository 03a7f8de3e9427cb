import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type TenantStatus = 'active' | 'suspended' | 'deleted';
export type Tier = 'pool' | 'silo';
export type MigrationStatus = 'ok' | 'failed';
export type StaffRole = 'owner' | 'manager' | 'front_desk' | 'instructor';

export interface PlatformPlacements {
  id: string;
  tier: Tier;
  cluster: string;
  database: string;
  tenant_capacity: number;
  tenant_count: Generated<number>;
  created_at: Generated<Date>;
  /** The last migrate of its database: 'failed' puts its tenants in maintenance (503); NULL before any. */
  migration_status: ColumnType<MigrationStatus | null, MigrationStatus | null | undefined, MigrationStatus | null>;
  migration_error: ColumnType<string | null, string | null | undefined, string | null>;
  /** The last migrate that succeeded. */
  migrated_at: NullableTimestamp;
  /** The highest tenant migration its database has; an instance whose code has more refuses to serve it. */
  schema_version: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface PlatformTenants {
  id: Generated<string>;
  slug: string;
  display_name: string;
  status: Generated<TenantStatus>;
  tier: Tier;
  placement_id: string;
  plan: Generated<string>;
  limits: ColumnType<Record<string, number>, string | undefined, string>;
  /** Last measured by the quota_usage job; checked against limits.storageBytes. */
  stored_bytes: ColumnType<number, never, number>;
  stored_bytes_measured_at: ColumnType<Date | null, never, Date | string | null>;
  timezone: Generated<string>;
  /** ja or en: the language the studio works in. */
  locale: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  suspended_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
  purged_at: NullableTimestamp;
}

export interface PlatformTenantDomains {
  domain: string;
  tenant_id: string;
  created_at: Generated<Date>;
}

export interface PlatformTenantUsage {
  tenant_id: string;
  hour: Timestamp;
  requests: ColumnType<string, number | string | undefined, number | string>;
  client_errors: ColumnType<string, number | string | undefined, number | string>;
  server_errors: ColumnType<string, number | string | undefined, number | string>;
  duration_ms: ColumnType<number, number | undefined, number>;
}

export interface PlatformAnalyticsSalts {
  day: ColumnType<string, string, string>;
  salt: Buffer;
  created_at: Generated<Date>;
}

export interface PlatformTenantQuotaUsage {
  tenant_id: string;
  members: number;
  locations: number;
  staff: number;
  stored_bytes: ColumnType<string, number | string, number | string>;
  measured_at: Generated<Date>;
}

/** Columns every tenant table has; tenant_id defaults to the transaction's tenant (app.current_tenant_id()). */
interface TenantRow {
  tenant_id: Generated<string>;
  id: Generated<string>;
}

export interface AppStaff extends TenantRow {
  email: string;
  display_name: string;
  role: StaffRole;
  password_hash: string | null;
  status: Generated<'active' | 'disabled'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A session of any realm: the tables differ only in the account they belong to. */
interface SessionRow extends TenantRow {
  token_hash: Buffer;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  last_seen_at: Generated<Date>;
  ip: string | null;
  user_agent: string | null;
}

export interface AppStaffSessions extends SessionRow {
  staff_id: string;
}

/** A single-use mailed token of any realm (reset, invite, confirm). */
interface MailedTokenRow extends TenantRow {
  token_hash: Buffer;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface AppPasswordResetTokens extends MailedTokenRow {
  staff_id: string;
  purpose: Generated<'reset' | 'invite'>;
}

export interface AppLoginAttempts extends TenantRow {
  /** Staff and members are throttled apart. */
  realm: Generated<'staff' | 'member'>;
  email: string;
  ip: string | null;
  /** null while the password is being checked. */
  succeeded: boolean | null;
  attempted_at: Generated<Date>;
}

export interface AppMailOutbox extends TenantRow {
  to_address: string;
  template: string;
  subject: string;
  body: string;
  created_at: Generated<Date>;
  sent_at: NullableTimestamp;
  status: Generated<MailStatus>;
  priority: Generated<number>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  failed_at: NullableTimestamp;
}

export type MailStatus = 'pending' | 'sent' | 'failed';

export interface AppApiKeys extends TenantRow {
  name: string;
  prefix: string;
  key_hash: Buffer;
  role: StaffRole;
  created_by: string | null;
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface AppCounters {
  tenant_id: Generated<string>;
  name: string;
  value: ColumnType<string, number | undefined, number>;
}

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

export interface AppMembers extends TenantRow {
  member_number: number;
  family_name: string;
  given_name: Generated<string>;
  family_name_kana: Generated<string>;
  given_name_kana: Generated<string>;
  email: string | null;
  phone: string | null;
  birth_date: ColumnType<string | null, string | null | undefined, string | null>;
  gender: 'female' | 'male' | 'other' | 'unspecified' | null;
  address: ColumnType<Address | null, string | null | undefined, string | null>;
  emergency_contact: ColumnType<EmergencyContact | null, string | null | undefined, string | null>;
  tags: Generated<string[]>;
  staff_notes: Generated<string>;
  terms_version: string | null;
  terms_accepted_at: NullableTimestamp;
  family_lead_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  search_name: ColumnType<string, never, never>;
  search_kana: ColumnType<string, never, never>;
  status: ColumnType<MemberStatus, never, never>;
  status_since: ColumnType<string | null, never, never>;
  home_location_id: string | null;
}

export type MemberStatus = 'provisional' | 'trial' | 'active' | 'on_leave' | 'cancelled';
export type ActorKind = 'staff' | 'api_key' | 'member' | 'system';
export type ProrationRule = 'full' | 'daily' | 'free_until_first';
export type TaxRounding = 'floor' | 'half_up' | 'ceil';
export type TaxCategory = 'standard_10' | 'reduced_8' | 'exempt';
export type PlanKind = 'monthly' | 'pack' | 'option';
export type CreditGrant = 'none' | 'contract_start' | 'monthly' | 'monthly_carryover';
export type CreditKind = 'grant' | 'carryover' | 'consume' | 'refund' | 'expire' | 'adjust';
/** A calendar date as PostgreSQL prints it (YYYY-MM-DD); dates are never turned into instants. */
type DateColumn = ColumnType<string, string, string>;
type NullableDate = ColumnType<string | null, string | null | undefined, string | null>;

export interface AppTenantSettings {
  tenant_id: Generated<string>;
  proration_rule: Generated<ProrationRule>;
  cutoff_day: Generated<number>;
  billing_day: Generated<number>;
  currency: Generated<string>;
  tax_rounding: Generated<TaxRounding>;
  block_disposable_email_domains: Generated<boolean>;
  booking_opens_days_before: Generated<number>;
  booking_opens_at: Generated<string>;
  booking_closes_minutes_before: Generated<number>;
  cancel_deadline_minutes_before: Generated<number>;
  late_cancel_penalty: Generated<PenaltyRule>;
  no_show_penalty: Generated<PenaltyRule>;
  penalty_fee: Generated<number>;
  strike_limit: Generated<number>;
  strike_window_days: Generated<number>;
  strike_block_days: Generated<number>;
  waitlist_auto_until_hours: Generated<number>;
  waitlist_offer_minutes: Generated<number>;
  quiet_hours_start: ColumnType<string | null, string | null | undefined, string | null>;
  quiet_hours_end: ColumnType<string | null, string | null | undefined, string | null>;
  invoice_registration_number: ColumnType<string | null, string | null | undefined, string | null>;
  invoice_issuer_name: ColumnType<string | null, string | null | undefined, string | null>;
  invoice_issuer_address: Generated<string>;
  payment_terms_days: Generated<number>;
  dunning_retry_days: ColumnType<number[], number[] | undefined, number[]>;
  dunning_final_action: Generated<DunningFinalAction>;
  dunning_final_after_days: Generated<number>;
  payment_gateway: Generated<GatewayName>;
  stripe_secret_key: ColumnType<string | null, string | null | undefined, string | null>;
  stripe_webhook_secret: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Generated<Date>;
}

export type PenaltyRule = 'none' | 'lose_credit' | 'fee' | 'strike';
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** Per-lesson-type overrides of the studio's booking rules; NULL means the studio's default. */
export interface BookingRuleOverrides {
  booking_opens_days_before: Nullable<number>;
  booking_opens_at: Nullable<string>;
  booking_closes_minutes_before: Nullable<number>;
  cancel_deadline_minutes_before: Nullable<number>;
  late_cancel_penalty: Nullable<PenaltyRule>;
  no_show_penalty: Nullable<PenaltyRule>;
  penalty_fee: Nullable<number>;
}

export interface AppRooms extends TenantRow {
  location_id: string;
  name: string;
  capacity: number;
  archived_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface AppRoomSpots {
  tenant_id: Generated<string>;
  room_id: string;
  spot: number;
  label: string;
}

export interface AppInstructors extends TenantRow {
  staff_id: string | null;
  display_name: string;
  bio: Generated<string>;
  archived_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface AppLessonSeries extends TenantRow {
  lesson_type_id: string;
  location_id: string;
  room_id: string;
  instructor_id: string | null;
  weekdays: number[];
  start_time: string;
  duration_minutes: number;
  capacity: number;
  starts_on: string;
  ends_on: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type LessonStatus = 'scheduled' | 'cancelled';
export interface AppLessons extends TenantRow {
  series_id: string | null;
  occurrence_date: string | null;
  lesson_type_id: string;
  location_id: string;
  room_id: string;
  instructor_id: string | null;
  substitute_instructor_id: Nullable<string>;
  starts_at: Timestamp;
  ends_at: Timestamp;
  capacity: number;
  booked: Generated<number>;
  held: Generated<number>;
  status: Generated<LessonStatus>;
  cancel_reason: Nullable<string>;
  cancelled_at: NullableTimestamp;
  detached: Generated<boolean>;
  notes: Generated<string>;
  attendance_closed_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type ReservationStatus = 'booked' | 'attended' | 'no_show' | 'cancelled' | 'late_cancelled' | 'released';
export interface AppReservations extends TenantRow {
  lesson_id: string;
  member_id: string;
  status: Generated<ReservationStatus>;
  spot: number | null;
  contract_id: string | null;
  credits_used: Generated<number>;
  source: 'member' | 'staff' | 'waitlist';
  actor_kind: ActorKind;
  actor_id: string | null;
  created_at: Generated<Date>;
  cancelled_at: NullableTimestamp;
  checked_in_at: NullableTimestamp;
}

export type WaitlistStatus = 'waiting' | 'offered' | 'promoted' | 'declined' | 'expired' | 'skipped' | 'left' | 'dropped' | 'released';
export interface AppWaitlistEntries extends TenantRow {
  lesson_id: string;
  member_id: string;
  status: Generated<WaitlistStatus>;
  joined_at: Generated<Date>;
  offered_at: NullableTimestamp;
  offer_expires_at: NullableTimestamp;
  resolved_at: NullableTimestamp;
  note: Generated<string>;
  reservation_id: Nullable<string>;
}

export interface AppReservationPenalties extends TenantRow {
  reservation_id: string;
  member_id: string;
  reason: 'late_cancel' | 'no_show';
  kind: Exclude<PenaltyRule, 'none'>;
  amount: number;
  invoice_id: Nullable<string>;
  waived_at: NullableTimestamp;
  waived_by: Nullable<string>;
  created_at: Generated<Date>;
}

export interface AppBookingBlocks extends TenantRow {
  member_id: string;
  starts_at: Generated<Date>;
  ends_at: Timestamp;
  reason: string;
  lifted_at: NullableTimestamp;
  lifted_by: Nullable<string>;
  created_at: Generated<Date>;
}

export interface AppCheckIns extends TenantRow {
  member_id: string;
  location_id: string;
  reservation_id: string | null;
  /** The studio's local day of a walk-in (unique per member); null for a lesson's check-in. */
  walk_in_day: ColumnType<string | null, string | null | undefined, string | null>;
  method: 'qr' | 'manual';
  actor_kind: ActorKind;
  actor_id: string | null;
  checked_in_at: Generated<Date>;
}

export interface AppSigningKeys {
  tenant_id: Generated<string>;
  purpose: 'check_in';
  secret: Buffer;
  created_at: Generated<Date>;
}

export interface AppLocations extends TenantRow {
  name: string;
  address: Generated<string>;
  archived_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface AppLessonTypes extends TenantRow, BookingRuleOverrides {
  name: string;
  duration_minutes: number;
  colour: Generated<string>;
  description: Generated<string>;
  archived_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface AppPlans extends TenantRow {
  kind: PlanKind;
  name: string;
  description: Generated<string>;
  current_version: Generated<number>;
  archived_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

type Money = ColumnType<number, number | bigint, number | bigint>;

export interface AppPlanVersions {
  tenant_id: Generated<string>;
  plan_id: string;
  version: number;
  price: Money;
  price_includes_tax: Generated<boolean>;
  tax_category: TaxCategory;
  enrollment_fee: Generated<number>;
  annual_fee: ColumnType<number | null, number | null | undefined, number | null>;
  leave_fee: Generated<number>;
  pack_credits: number | null;
  pack_validity_days: number | null;
  credit_grant: Generated<CreditGrant>;
  credits_per_grant: number | null;
  carryover_cap: number | null;
  all_lesson_types: Generated<boolean>;
  all_locations: Generated<boolean>;
  max_upcoming: number | null;
  max_per_day: number | null;
  max_per_week: number | null;
  max_per_month: number | null;
  created_at: Generated<Date>;
  created_by: string | null;
}

export interface AppPlanVersionLessonTypes {
  tenant_id: Generated<string>;
  plan_id: string;
  version: number;
  lesson_type_id: string;
}

export interface AppPlanVersionLocations {
  tenant_id: Generated<string>;
  plan_id: string;
  version: number;
  location_id: string;
}

export interface AppContracts extends TenantRow {
  member_id: string;
  kind: 'monthly' | 'pack';
  start_date: DateColumn;
  end_date: NullableDate;
  cancel_reason: string | null;
  cancel_requested_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  created_at: Generated<Date>;
  created_by: string | null;
  billed_through: NullableDate;
}

export interface AppContractPlans {
  tenant_id: Generated<string>;
  contract_id: string;
  effective_from: DateColumn;
  plan_id: string;
  plan_version: number;
  requested_at: Generated<Date>;
}

export interface AppContractLeaves extends TenantRow {
  contract_id: string;
  from_month: DateColumn;
  return_month: NullableDate;
  reason: Generated<string>;
  requested_at: Generated<Date>;
  withdrawn_at: NullableTimestamp;
}

export interface AppContractOptions extends TenantRow {
  contract_id: string;
  plan_id: string;
  plan_version: number;
  from_date: DateColumn;
  until_date: NullableDate;
  created_at: Generated<Date>;
}

export interface AppMemberStatusEvents extends TenantRow {
  member_id: string;
  from_status: MemberStatus | null;
  to_status: MemberStatus;
  effective_on: DateColumn;
  reason: Generated<string>;
  actor_kind: ActorKind;
  actor_id: string | null;
  change_id: string | null;
  contract_id: string | null;
  effects: ColumnType<Record<string, unknown>, string | undefined, never>;
  recorded_at: Generated<Date>;
}

export interface AppMemberStatusChanges extends TenantRow {
  member_id: string;
  to_status: Exclude<MemberStatus, 'provisional'>;
  effective_on: DateColumn;
  reason: Generated<string>;
  contract_id: string | null;
  leave_id: string | null;
  requested_by_kind: ActorKind;
  requested_by: string | null;
  requested_at: Generated<Date>;
  applied_at: NullableTimestamp;
  withdrawn_at: NullableTimestamp;
}

export interface AppCreditLedger extends TenantRow {
  member_id: string;
  kind: CreditKind;
  amount: number;
  lot_id: string | null;
  expires_on: NullableDate;
  contract_id: string | null;
  reference_id: string | null;
  grant_key: string | null;
  reason: Generated<string>;
  actor_kind: ActorKind;
  actor_id: string | null;
  created_at: Generated<Date>;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
/** The monthly run's invoice of an account and month, or a sale's first invoice. */
export type InvoiceKind = 'monthly' | 'sale';
export type GatewayName = 'test' | 'stripe';
export type DunningFinalAction = 'none' | 'leave' | 'cancel';
export type InvoiceLineCode = 'monthly_fee' | 'first_month_fee' | 'enrollment_fee' | 'annual_fee' | 'leave_fee' | 'option_fee' | 'pack_purchase' | 'penalty_fee';
export type SettlementStatus = 'pending' | 'succeeded' | 'failed';
export type PaymentInitiator = 'run' | 'retry' | 'member' | 'staff' | 'webhook';
export type LedgerKind = 'charge' | 'payment' | 'refund' | 'credit' | 'write_off' | 'void';
type Json<T> = ColumnType<T, string | undefined, string>;

export interface TaxBreakdownRow {
  taxCategory: TaxCategory;
  ratePercent: number;
  taxableAmount: number;
  tax: number;
  total: number;
}

export interface AppInvoices extends TenantRow {
  billing_member_id: string;
  period: DateColumn;
  status: Generated<InvoiceStatus>;
  total: Money;
  due_on: DateColumn;
  created_at: Generated<Date>;
  number: ColumnType<number | null, number | bigint | null | undefined, number | bigint | null>;
  currency: Generated<string>;
  issued_on: NullableDate;
  subtotal_excluding_tax: ColumnType<number, number | bigint | undefined, number | bigint>;
  tax_total: ColumnType<number, number | bigint | undefined, number | bigint>;
  tax_breakdown: Json<TaxBreakdownRow[]>;
  recipient_name: Generated<string>;
  issuer_name: Generated<string>;
  issuer_address: Generated<string>;
  registration_number: Nullable<string>;
  amount_paid: ColumnType<number, number | bigint | undefined, number | bigint>;
  amount_refunded: ColumnType<number, number | bigint | undefined, number | bigint>;
  paid_at: NullableTimestamp;
  voided_at: NullableTimestamp;
  void_reason: Nullable<string>;
  auto_charge: Generated<boolean>;
  attempt_count: Generated<number>;
  first_failed_at: NullableTimestamp;
  next_attempt_at: NullableTimestamp;
  escalated_at: NullableTimestamp;
  final_action_at: NullableTimestamp;
  kind: Generated<InvoiceKind>;
  contract_id: Nullable<string>;
}

export interface AppInvoiceLines {
  tenant_id: Generated<string>;
  invoice_id: string;
  line_no: number;
  period: DateColumn;
  code: InvoiceLineCode;
  description: string;
  amount: Money;
  tax_category: TaxCategory;
  price_includes_tax: boolean;
  member_id: string;
  contract_id: Nullable<string>;
  option_id: Nullable<string>;
  plan_id: Nullable<string>;
  plan_version: Nullable<number>;
  penalty_id: Nullable<string>;
}

export interface AppPaymentMethods extends TenantRow {
  member_id: string;
  gateway: GatewayName;
  token: string;
  customer_ref: Nullable<string>;
  brand: Generated<string>;
  last4: string;
  exp_month: Nullable<number>;
  exp_year: Nullable<number>;
  created_at: Generated<Date>;
  detached_at: NullableTimestamp;
}

export interface AppPaymentAttempts extends TenantRow {
  invoice_id: string;
  amount: Money;
  currency: string;
  method: 'card' | 'cash' | 'bank_transfer';
  gateway: Nullable<GatewayName>;
  payment_method_id: Nullable<string>;
  status: Generated<SettlementStatus>;
  failure_kind: Nullable<'soft' | 'hard'>;
  failure_code: Nullable<string>;
  failure_message: Nullable<string>;
  gateway_ref: Nullable<string>;
  initiated_by: PaymentInitiator;
  actor_id: Nullable<string>;
  created_at: Generated<Date>;
  settled_at: NullableTimestamp;
}

export interface AppRefunds extends TenantRow {
  number: Money;
  invoice_id: string;
  payment_attempt_id: string;
  amount: Money;
  tax_breakdown: Json<TaxBreakdownRow[]>;
  reason: string;
  status: Generated<SettlementStatus>;
  failure_message: Nullable<string>;
  gateway_ref: Nullable<string>;
  created_by: Nullable<string>;
  created_at: Generated<Date>;
  settled_at: NullableTimestamp;
}

export interface AppBillingLedger extends TenantRow {
  invoice_id: string;
  period: DateColumn;
  kind: LedgerKind;
  amount: Money;
  reference_id: string;
  created_at: Generated<Date>;
}

export interface AppWebhookEvents {
  tenant_id: Generated<string>;
  gateway: GatewayName;
  event_id: string;
  type: string;
  received_at: Generated<Date>;
}

export interface AppTestGatewayOperations {
  tenant_id: Generated<string>;
  idempotency_key: string;
  kind: 'charge' | 'refund';
  reference: string;
  amount: Money;
  currency: string;
  card: Nullable<string>;
  charge_reference: Nullable<string>;
  outcome: 'succeeded' | 'failed';
  failure_code: Nullable<string>;
  created_at: Generated<Date>;
}

export interface AppBillingRuns {
  tenant_id: Generated<string>;
  period: DateColumn;
  started_at: Generated<Date>;
  finished_at: NullableTimestamp;
  invoices_created: Generated<number>;
  charges_attempted: Generated<number>;
}

export interface AppIdempotencyKeys {
  tenant_id: Generated<string>;
  key: string;
  scope: string;
  request_hash: string;
  status_code: number | null;
  response: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

export interface AppMemberAccounts extends TenantRow {
  member_id: string;
  email: string;
  password_hash: string;
  status: Generated<'active' | 'disabled'>;
  /** null until the member opens the confirmation link; until then the account cannot sign in. */
  confirmed_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AppMemberSessions extends SessionRow {
  account_id: string;
}

export interface AppMemberAccountTokens extends MailedTokenRow {
  account_id: string;
  purpose: 'confirm' | 'reset';
}

export interface AppBlockedEmailDomains extends TenantRow {
  domain: string;
  created_at: Generated<Date>;
}

export interface DB {
  'platform.placements': PlatformPlacements;
  'platform.tenants': PlatformTenants;
  'platform.tenant_domains': PlatformTenantDomains;
  'platform.tenant_usage': PlatformTenantUsage;
  'platform.analytics_salts': PlatformAnalyticsSalts;
  'platform.tenant_quota_usage': PlatformTenantQuotaUsage;
  'app.staff': AppStaff;
  'app.staff_sessions': AppStaffSessions;
  'app.password_reset_tokens': AppPasswordResetTokens;
  'app.login_attempts': AppLoginAttempts;
  'app.mail_outbox': AppMailOutbox;
  'app.api_keys': AppApiKeys;
  'app.counters': AppCounters;
  'app.members': AppMembers;
  'app.tenant_settings': AppTenantSettings;
  'app.locations': AppLocations;
  'app.lesson_types': AppLessonTypes;
  'app.plans': AppPlans;
  'app.plan_versions': AppPlanVersions;
  'app.plan_version_lesson_types': AppPlanVersionLessonTypes;
  'app.plan_version_locations': AppPlanVersionLocations;
  'app.contracts': AppContracts;
  'app.contract_plans': AppContractPlans;
  'app.contract_leaves': AppContractLeaves;
  'app.contract_options': AppContractOptions;
  'app.member_status_events': AppMemberStatusEvents;
  'app.member_status_changes': AppMemberStatusChanges;
  'app.credit_ledger': AppCreditLedger;
  'app.invoices': AppInvoices;
  'app.invoice_lines': AppInvoiceLines;
  'app.payment_methods': AppPaymentMethods;
  'app.payment_attempts': AppPaymentAttempts;
  'app.refunds': AppRefunds;
  'app.billing_ledger': AppBillingLedger;
  'app.webhook_events': AppWebhookEvents;
  'app.test_gateway_operations': AppTestGatewayOperations;
  'app.billing_runs': AppBillingRuns;
  'app.idempotency_keys': AppIdempotencyKeys;
  'app.member_accounts': AppMemberAccounts;
  'app.member_sessions': AppMemberSessions;
  'app.member_account_tokens': AppMemberAccountTokens;
  'app.blocked_email_domains': AppBlockedEmailDomains;
  'app.rooms': AppRooms;
  'app.room_spots': AppRoomSpots;
  'app.instructors': AppInstructors;
  'app.lesson_series': AppLessonSeries;
  'app.lessons': AppLessons;
  'app.reservations': AppReservations;
  'app.waitlist_entries': AppWaitlistEntries;
  'app.reservation_penalties': AppReservationPenalties;
  'app.booking_blocks': AppBookingBlocks;
  'app.check_ins': AppCheckIns;
  'app.signing_keys': AppSigningKeys;
  'app.audit_log': AppAuditLog;
}

export type Tenant = Selectable<PlatformTenants>;
export type Placement = Selectable<PlatformPlacements>;
export type Staff = Selectable<AppStaff>;
export type NewStaff = Insertable<AppStaff>;

export type AuditOutcome = 'done' | 'refused' | 'failed';

export interface AppAuditLog extends TenantRow {
  at: Generated<Date>;
  actor_kind: 'staff' | 'api_key';
  actor_id: string;
  actor_name: string;
  actor_role: StaffRole;
  ip: string;
  user_agent: string | null;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  route: string;
  area: string;
  params: ColumnType<Record<string, string>, string, never>;
  outcome: AuditOutcome;
  status: number;
  problem_type: string | null;
  problem_code: string | null;
  changes: ColumnType<{ before: Record<string, unknown>; after: Record<string, unknown> } | null, string | null, never>;
  request_id: string;
}
