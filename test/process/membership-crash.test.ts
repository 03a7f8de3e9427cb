import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMembershipDay } from '../../src/modules/contracts/membership-run.js';
import { killCliWhen } from '../support/cli.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

const MEMBERS = 12_000;

let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  admin = await platform.admin();
  // Active members, each with a credit lot and a cancellation due on 1 December, written as the superuser
  // in bulk (the API would take minutes for this many). The history insert sets the status by its trigger.
  await admin.query(
    `with m as (
       insert into app.members (tenant_id, member_number, family_name)
       select $1, n, 'Member ' || n from generate_series(1, $2) n returning id),
     e as (
       insert into app.member_status_events (tenant_id, member_id, to_status, effective_on, actor_kind)
       select $1, id, 'active', '2026-10-01', 'system' from m),
     c as (
       insert into app.credit_ledger (tenant_id, member_id, kind, amount, actor_kind)
       select $1, id, 'grant', 3, 'system' from m)
     insert into app.member_status_changes (tenant_id, member_id, to_status, effective_on, reason, requested_by_kind)
     select $1, id, 'cancelled', '2026-12-01', 'Moving away', 'system' from m`,
    [tenant.id, MEMBERS],
  );
});
afterAll(() => platform.close());

const count = async (sql: string) => Number((await admin.query(sql, [tenant.id])).rows[0].n);

describe('the daily membership job, killed part-way', () => {
  it('resumes where it stopped: every change applied exactly once, with its credits expired exactly once', async () => {
    // Killed as soon as some batches have committed.
    const applied = () => count(`select count(*) as n from app.member_status_events where tenant_id = $1 and to_status = 'cancelled'`);
    const output = await killCliWhen(platform.databaseEnv, ['membership-day', '--tenant', tenant.id, '--date', '2026-12-01'], async () => (await applied()) > 0, 180_000);
    const before = await applied();
    expect(before, output).toBeGreaterThan(0);
    expect(before, 'the job finished before it could be killed; make the test bigger').toBeLessThan(MEMBERS);
    // Batches are whole: every applied change has its event and its expiry, and no other change has either.
    expect(await count(`select count(*) as n from app.member_status_changes where tenant_id = $1 and applied_at is not null`)).toBe(before);
    expect(await count(`select count(*) as n from app.credit_ledger where tenant_id = $1 and kind = 'expire'`)).toBe(before);

    const result = await runMembershipDay(platform.runtime.directory, tenant.id, new Date(), '2026-12-01');
    expect(result).toMatchObject({ statusChanges: MEMBERS - before });

    expect(await count(`select count(*) as n from app.members where tenant_id = $1 and status = 'cancelled'`)).toBe(MEMBERS);
    expect(await count(`select count(distinct change_id) as n from app.member_status_events where tenant_id = $1 and to_status = 'cancelled'`)).toBe(MEMBERS);
    expect(await count(`select count(*) as n from app.member_status_events where tenant_id = $1 and to_status = 'cancelled'`)).toBe(MEMBERS);
    expect(await count(`select count(*) as n from app.member_status_changes where tenant_id = $1 and applied_at is null`)).toBe(0);
    expect(await count(`select count(*) as n from app.credit_ledger where tenant_id = $1 and kind = 'expire'`)).toBe(MEMBERS);
    expect(await count(`select coalesce(sum(amount), 0) as n from app.credit_ledger where tenant_id = $1`)).toBe(0);
  });
});
