/**
 * The composition root: the one place that lists the business modules and wires them into the platform.
 * Every entry point (src/main.ts, the CLI, the test platform, bench/, scripts/openapi.ts) opens its runtime
 * through `openAppRuntime`, so routes, jobs and hooks are wired once. A new module exports an `AppModule` from
 * its index.ts and is added to `modules` below (test/architecture.test.ts fails on a module left out).
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Composition } from '../platform/composition.js';
import { openRuntime } from '../platform/runtime.js';
import { billingModule, invoiceDocuments } from '../modules/billing/index.js';
import { checkinModule } from '../modules/checkin/index.js';
import { contractsModule } from '../modules/contracts/index.js';
import { creditsModule } from '../modules/credits/index.js';
import { lineModule } from '../modules/line/index.js';
import { memberSessions, membersModule } from '../modules/members/index.js';
import { plansModule } from '../modules/plans/index.js';
import { privacyModule } from '../modules/privacy/index.js';
import { reportsModule } from '../modules/reports/index.js';
import { mailModule } from '../modules/mail/index.js';
import { lessonCalendar, reservationsModule } from '../modules/reservations/index.js';
import { salesModule } from '../modules/sales/index.js';
import { scheduleModule } from '../modules/schedule/index.js';
import { settingsModule } from '../modules/settings/index.js';

export const composition: Composition = {
  modules: [
    settingsModule,
    scheduleModule,
    membersModule,
    plansModule,
    contractsModule,
    salesModule,
    creditsModule,
    reservationsModule,
    checkinModule,
    billingModule,
    reportsModule,
    privacyModule,
    lineModule,
    mailModule,
  ],
  hooks: { memberSessions, lessonCalendar, archiveDocuments: invoiceDocuments },
};

/** The platform's runtime with this app's modules in it. */
export function openAppRuntime(config: Config, log?: Logger) {
  return openRuntime(config, composition, log);
}
