import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type TenantStatus = 'active' | 'suspended' | 'deleted';
export type Tier = 'pool' | 'silo';
export type StaffRole = 'owner' | 'manager' | 'front_desk' | 'instructor';

export interface PlatformPlacements {
  id: string;
  tier: Tier;
  cluster: string;
  database: string;
  tenant_capacity: number;
  tenant_count: Generated<number>;
  created_at: Generated<Date>;
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
  timezone: Generated<string>;
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
}

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

export interface AppTenantSettings {
  tenant_id: Generated<string>;
  block_disposable_email_domains: Generated<boolean>;
  updated_at: Generated<Date>;
}

export interface AppBlockedEmailDomains extends TenantRow {
  domain: string;
  created_at: Generated<Date>;
}

export interface DB {
  'platform.placements': PlatformPlacements;
  'platform.tenants': PlatformTenants;
  'platform.tenant_domains': PlatformTenantDomains;
  'app.staff': AppStaff;
  'app.staff_sessions': AppStaffSessions;
  'app.password_reset_tokens': AppPasswordResetTokens;
  'app.login_attempts': AppLoginAttempts;
  'app.mail_outbox': AppMailOutbox;
  'app.api_keys': AppApiKeys;
  'app.counters': AppCounters;
  'app.members': AppMembers;
  'app.member_accounts': AppMemberAccounts;
  'app.member_sessions': AppMemberSessions;
  'app.member_account_tokens': AppMemberAccountTokens;
  'app.tenant_settings': AppTenantSettings;
  'app.blocked_email_domains': AppBlockedEmailDomains;
}

export type Tenant = Selectable<PlatformTenants>;
export type Placement = Selectable<PlatformPlacements>;
export type Staff = Selectable<AppStaff>;
export type NewStaff = Insertable<AppStaff>;
