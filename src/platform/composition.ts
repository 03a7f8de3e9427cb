import type { TaskList } from 'graphile-worker';
import type { TenantContext } from './tenancy/context.js';
import type { Tx } from './db/databases.js';
import type { SessionStore } from './auth/credentials.repo.js';
import type { CalendarLesson } from './capacity/planner.js';
import type { TenantRouter } from './http/tenant-route.js';
import type { Runtime } from './runtime.js';

/*
 * What the platform needs from the business modules, declared here so that src/platform never imports
 * src/modules: the composition root (src/app/composition.ts) fills these in and hands them to openRuntime.
 */

/** Registers one group of a module's routes on the tenant router (so the cross-tenant test covers them). */
export type TenantRoutes = (router: TenantRouter, runtime: Runtime) => void;

/** One business module as the platform sees it: its routes, its background tasks and their schedule. */
export interface AppModule {
  /** Its folder under src/modules; the architecture test checks that every folder is listed once. */
  name: string;
  routes?: TenantRoutes[];
  /** Its graphile-worker tasks; a name may be taken by one module (or the platform) only. */
  tasks?: (runtime: Runtime) => TaskList;
  /** crontab lines (graphile-worker's syntax) that start its tasks. */
  crontab?: string[];
}

/** A lesson window the capacity planner needs from a tenant's timetable (read in the tenant's transaction). */
export type LessonCalendar = (
  db: Tx,
  range: { start: number; end: number; beforeMs: number; afterMs: number },
  timeZone: string,
) => Promise<CalendarLesson[]>;

/** The few places where platform code calls into a module, each provided by exactly one module. */
export interface PlatformHooks {
  /** Member sessions (shm_… bearer tokens), kept by the members module. */
  memberSessions: SessionStore<{ account_id: string; member_id: string }>;
  /** Scheduled lessons and when their booking opens, by the studio's booking policy (reservations). */
  lessonCalendar: LessonCalendar;
  /**
   * Documents a studio's archive carries besides its tables (the invoices' PDFs, from billing): read in the
   * archive's own transaction, so they show the same moment as the tables. Each path is inside the archive.
   */
  archiveDocuments?: (ctx: TenantContext) => AsyncIterable<{ path: string; bytes: Buffer }>;
}

export interface Composition {
  modules: readonly AppModule[];
  hooks: PlatformHooks;
}
