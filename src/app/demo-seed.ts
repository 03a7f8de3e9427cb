import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Runtime } from '../platform/runtime.js';
import { inTenantTransaction } from '../platform/db/databases.js';
import { asLocale } from '../platform/i18n.js';
import type { TenantContext } from '../platform/tenancy/context.js';
import { catalogService } from '../modules/schedule/catalog.service.js';
import { plansService } from '../modules/plans/plans.service.js';
import { planTerms, type PlanTerms } from '../modules/plans/plans.schemas.js';
import { membersService } from '../modules/members/members.service.js';
import { salesService } from '../modules/sales/sales.service.js';
import { billingDeps, runBilling } from '../modules/billing/billing-run.js';
import { settingsRepo } from '../modules/settings/settings.repo.js';
import { roomsService } from '../modules/schedule/rooms.service.js';
import { instructorsService } from '../modules/schedule/instructors.service.js';
import { lessonsService } from '../modules/schedule/lessons.service.js';
import { addDays, tenantToday } from '../platform/calendar.js';

export interface DemoLogin {
  url: string;
  email: string;
  password: string;
}

const DEMO_SLUG = 'demo';
const DEMO_EMAIL = 'owner@demo.studiohive.test';

/**
 * Creates the demo tenant on first start; its password is made once and kept in the data folder so that every
 * start can print the same working login.
 */
export async function seedDemoTenant(runtime: Runtime): Promise<DemoLogin> {
  const file = path.join(runtime.config.DATA_DIR, 'demo-login.json');
  let password: string;
  try {
    password = (JSON.parse(await readFile(file, 'utf8')) as { password: string }).password;
  } catch {
    password = `demo-${randomBytes(9).toString('base64url')}`;
  }
  const existing = await runtime.directory.bySlug(DEMO_SLUG);
  if (!existing) {
    await runtime.tenants.create({
      slug: DEMO_SLUG,
      displayName: 'Demo Studio',
      tier: 'pool',
      plan: 'standard',
      owner: { email: DEMO_EMAIL, displayName: 'Demo Owner', password },
    });
    await seedDemoCatalog(runtime);
    await writeFile(file, JSON.stringify({ email: DEMO_EMAIL, password }, null, 2), { mode: 0o600 });
  }
  return { url: runtime.tenantUrl({ slug: DEMO_SLUG }), email: DEMO_EMAIL, password };
}

/** A studio to look around in: a location, lesson types, a timetable, plans of each kind, and members on them. */
async function seedDemoCatalog(runtime: Runtime) {
  const tenant = (await runtime.directory.bySlug(DEMO_SLUG))!;
  await inTenantTransaction(await runtime.directory.dbFor(tenant), tenant.id, async (db) => {
    const ctx: TenantContext = { tenant, db, principal: null, request: { requestId: 'seed', ip: '127.0.0.1', userAgent: null, locale: asLocale(tenant.locale) }, now: runtime.clock.now() };
    const studio = await catalogService.createLocation(ctx, { name: '渋谷スタジオ', address: '東京都渋谷区道玄坂1-2-3' });
    const yoga = await catalogService.createLessonType(ctx, { name: 'ヨガ', durationMinutes: 60, colour: '#10b981' });
    const pilates = await catalogService.createLessonType(ctx, { name: 'ピラティス', durationMinutes: 50, colour: '#f59e0b' });
    const cycle = await catalogService.createLessonType(ctx, { name: 'バイク', durationMinutes: 45, colour: '#ef4444' });
    const terms = (t: Partial<PlanTerms> & Pick<PlanTerms, 'price'>): PlanTerms => ({ ...planTerms.parse({ taxCategory: 'standard_10', ...t }) });
    const unlimited = await plansService.create(ctx, { kind: 'monthly', name: '月会費 フリー', terms: terms({ price: 13200, enrollmentFee: 5500, leaveFee: 1100 }) });
    const four = await plansService.create(ctx, { kind: 'monthly', name: '月4回', terms: terms({ price: 8800, enrollmentFee: 5500, leaveFee: 1100, creditGrant: 'monthly', creditsPerGrant: 4 }) });
    await plansService.create(ctx, { kind: 'pack', name: '回数券 5回', terms: terms({ price: 16500, packCredits: 5, packValidityDays: 90 }) });
    const locker = await plansService.create(ctx, { kind: 'option', name: 'ロッカー', terms: terms({ price: 1100 }) });
    // A timetable for the coming weeks: two rooms (the bikes with a seat map), two instructors, weekly series.
    const studioA = await roomsService.create(ctx, { locationId: studio.id, name: 'Studio A', capacity: 20 });
    const bikes = await roomsService.create(ctx, {
      locationId: studio.id,
      name: 'バイクルーム',
      spots: Array.from({ length: 12 }, (_, i) => ({ spot: i + 1, label: `${'ABC'[Math.floor(i / 4)]}${(i % 4) + 1}` })),
    });
    const aiko = await instructorsService.create(ctx, { displayName: '愛子', bio: 'ヨガとピラティス' });
    const ken = await instructorsService.create(ctx, { displayName: '健', bio: 'バイク' });
    const today = tenantToday(ctx);
    const weekly = [
      { lessonTypeId: yoga.id, roomId: studioA.id, instructorId: aiko.id, weekdays: [1, 3, 5], startTime: '10:00' },
      { lessonTypeId: yoga.id, roomId: studioA.id, instructorId: aiko.id, weekdays: [2, 4], startTime: '19:30' },
      { lessonTypeId: pilates.id, roomId: studioA.id, instructorId: aiko.id, weekdays: [6], startTime: '11:00' },
      { lessonTypeId: cycle.id, roomId: bikes.id, instructorId: ken.id, weekdays: [1, 2, 3, 4, 5], startTime: '07:00' },
    ];
    for (const series of weekly) await lessonsService.createSeries(ctx, { ...series, startsOn: addDays(today, 1), endsOn: addDays(today, 56) });
    const people = [
      { familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', phone: '09012345678' },
      { familyName: '佐藤', givenName: '健', familyNameKana: 'サトウ', givenNameKana: 'ケン', phone: '08023456789' },
      { familyName: '鈴木', givenName: '美咲', familyNameKana: 'スズキ', givenNameKana: 'ミサキ' },
    ];
    for (const [i, person] of people.entries()) {
      const member = await membersService.create(ctx, { ...person, homeLocationId: studio.id, acceptedTermsVersion: '2026-04' });
      // Each sale issues its first invoice, open for the desk to collect.
      if (i < 2) await salesService.sell(ctx, { memberId: member.id, planId: i === 0 ? unlimited.id : four.id, optionPlanIds: i === 0 ? [locker.id] : [] });
      // Test-gateway cards: one that pays, one that is declined (so dunning has something to show).
      if (i < 2) {
        await db
          .insertInto('app.payment_methods')
          .values({ member_id: member.id, gateway: 'test', token: `tok_test_${i === 0 ? '4242424242424242' : '4000000000009995'}`, brand: 'visa', last4: i === 0 ? '4242' : '9995', exp_month: 12, exp_year: 2034 })
          .execute();
      }
    }
    await settingsRepo.upsert(db, { invoice_registration_number: 'T1234567890123', invoice_issuer_address: '東京都渋谷区道玄坂1-2-3' });
  });
  // What the hourly run would find due now (the sales invoiced their first months).
  await runBilling(billingDeps(runtime), tenant.id, runtime.clock.now());
}
