/*
 * What a studio's archive (archive.ts) carries of each table of the tenant schema, and what it leaves out.
 * Every table must be named here: an export refuses a table it does not know, and test/isolation/archive.test.ts
 * fails on one left out, so a new table is classified (its secrets above all) before it can ship.
 */

/** A table's rows go in the archive. */
export interface DataTable {
  kind: 'data';
  /**
   * Columns never exported, each with what the import writes instead (SQL): credentials the new deployment must
   * not inherit. NULL where the column allows it; a value that verifies nothing where it does not.
   */
  secretColumns?: Record<string, string>;
  /**
   * Columns whose names sound secret (token, key, hash) but are not, with the reason: the archive test refuses any
   * such column that is neither here nor in secretColumns.
   */
  notSecret?: Record<string, string>;
  /** SQL over the staged row (`doc`, jsonb) that orders the rows of the load, where a trigger needs an order. */
  loadOrder?: string;
  /**
   * Columns an insert trigger of another table rewrites during the load (a member's status, set by each status
   * event): written back from the archive once every table is in.
   */
  restoreAfterLoad?: string[];
}

/** A table left out of the archive, and why: the import starts it empty. */
export interface LeftOutTable {
  /** secret: credentials; transient: short-lived working state; derived: rebuilt from other tables by the import. */
  kind: 'secret' | 'transient' | 'derived';
  why: string;
}

export type ArchivePolicy = DataTable | LeftOutTable;

const data: DataTable = { kind: 'data' };
const secret = (why: string): LeftOutTable => ({ kind: 'secret', why });
const transient = (why: string): LeftOutTable => ({ kind: 'transient', why });

/** By table name in the tenant schema (without `app.`). */
export const ARCHIVE_POLICY: Record<string, ArchivePolicy> = {
  api_keys: secret('API keys are credentials: the studio makes new ones'),
  audit_log: data,
  billing_ledger: data,
  billing_runs: data,
  blocked_email_domains: data,
  booking_blocks: data,
  booking_window_notices: data,
  check_ins: data,
  contract_leaves: data,
  contract_options: data,
  contract_plans: data,
  contract_requests: data,
  contracts: data,
  // Member and invoice numbers go on from where they were.
  counters: data,
  credit_ledger: {
    kind: 'data',
    notSecret: { grant_key: 'the once-only key of a grant (a month, a sale), not a credential' },
    // A lot before the uses of it (its balance row is made by the insert trigger the uses then update), and of the
    // uses, what gives credits back before what takes them: the balance then falls only, from the lots' sum to the
    // archived balance, which is at least zero, so it never dips below zero on the way (row ids are random, and a
    // use loaded before the refund that preceded it would).
    loadOrder: `(doc->>'lot_id') is not null, (doc->>'amount')::int < 0`,
  },
  credit_lot_balances: { kind: 'derived', why: 'kept by the credit ledger’s insert trigger as the ledger is loaded' },
  favourites: data,
  idempotency_keys: transient('a retry’s stored answer, kept a day; answers can carry session tokens'),
  instructors: data,
  invoice_lines: data,
  invoices: data,
  lesson_series: data,
  lesson_types: data,
  lessons: data,
  line_channels: secret('the LINE channel’s secret and access token: the studio connects LINE again'),
  line_link_nonces: secret('one-time links between a LINE account and a member'),
  locations: data,
  login_attempts: transient('sign-in throttling of the last minutes'),
  member_account_tokens: secret('one-time links of member accounts'),
  member_accounts: {
    kind: 'data',
    // NOT NULL: an empty hash verifies no password (verifyPassword), so the member sets one through "forgot password".
    secretColumns: { password_hash: `''` },
  },
  member_data_requests: data,
  member_line_links: data,
  member_sessions: secret('signed-in member sessions'),
  member_status_changes: data,
  member_status_events: data,
  members: { kind: 'data', restoreAfterLoad: ['status', 'status_since', 'updated_at'] },
  message_preferences: data,
  message_templates: data,
  outbox: secret('sent and queued messages carry one-time links (password resets, confirmations)'),
  password_reset_tokens: secret('one-time links of staff accounts'),
  payment_attempts: data,
  payment_methods: {
    kind: 'data',
    notSecret: { token: 'the gateway’s id of a saved card: of use only with the studio’s own secret key, which is not exported' },
  },
  plan_version_lesson_types: data,
  plan_version_locations: data,
  plan_versions: data,
  plans: data,
  push_subscriptions: secret('each device’s push endpoint and keys: the member’s phone subscribes again'),
  refunds: data,
  reservation_penalties: data,
  reservations: data,
  room_spots: data,
  rooms: data,
  signing_keys: secret('keys that sign the studio’s tokens (check-in codes, calendar feeds): the new deployment makes its own'),
  staff: { kind: 'data', secretColumns: { password_hash: 'null' } },
  staff_recovery_codes: secret('two-factor recovery codes'),
  staff_security_settings: data,
  staff_sessions: secret('signed-in staff sessions'),
  staff_sign_in_challenges: secret('sign-in challenges of the last minutes'),
  staff_two_factor: secret('authenticator secrets: staff enrol again'),
  tenant_settings: {
    kind: 'data',
    secretColumns: { stripe_secret_key: 'null', stripe_webhook_secret: 'null' },
    notSecret: { stripe_publishable_key: 'published to every member’s browser by design' },
  },
  test_gateway_operations: transient('the test gateway’s own record of simulated charges'),
  undeliverable_addresses: data,
  waiting_room_entries: data,
  waiting_rooms: data,
  waitlist_entries: data,
  webhook_events: transient('which of the gateway’s deliveries to this deployment were handled'),
};

/** The table's policy by its qualified name (`app.members`), or undefined for one nobody classified. */
export const policyOf = (qualified: string): ArchivePolicy | undefined => ARCHIVE_POLICY[qualified.replace(/^app\./, '')];
