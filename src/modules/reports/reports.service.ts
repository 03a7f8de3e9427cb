import type { z } from 'zod';
import { addDays, addMonths, monthOf, tenantToday, zonedInstant } from '../../platform/calendar.js';
import { render, text, type MessageId } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { reportsRepo, type Span } from './reports.repo.js';
import type * as s from './reports.schemas.js';

type Period = { from: string; to: string; locationId?: string | undefined };
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** Local days [from, to] in the studio's zone, as instants. */
const spanOf = (ctx: TenantContext, from: string, to: string): Span => ({
  start: zonedInstant(from, '00:00', ctx.tenant.timezone),
  end: zonedInstant(addDays(to, 1), '00:00', ctx.tenant.timezone),
});

async function today(ctx: TenantContext, q: z.output<typeof s.dayQuery>): Promise<z.input<typeof s.todayReport>> {
  const day = q.day ?? tenantToday(ctx);
  const r = await reportsRepo.today(ctx.db, spanOf(ctx, day, day), q.locationId ?? null);
  return { day, lessons: r.lessons, bookings: r.bookings, checkIns: r.check_ins, noShows: r.no_shows };
}

async function members(ctx: TenantContext, q: Period): Promise<z.input<typeof s.membersReport>> {
  const r = await reportsRepo.members(ctx.db, q.from, q.to, q.locationId ?? null);
  return {
    from: q.from, to: q.to,
    active: r.active!, trial: r.trial!, onLeave: r.on_leave!, new: r.new!, cancelled: r.cancelled!,
    activeAtStart: r.active_at_start!, churnRate: ratio(r.cancelled!, r.active_at_start!),
    trialsStarted: r.trials_started!, trialsConverted: r.trials_converted!, trialConversion: ratio(r.trials_converted!, r.trials_started!),
  };
}

async function attendance(ctx: TenantContext, q: Period): Promise<z.input<typeof s.attendanceReport>> {
  const rows = await reportsRepo.attendance(ctx.db, spanOf(ctx, q.from, q.to), q.locationId ?? null);
  const row = (r: (typeof rows)[number]) => ({
    id: r.id, name: r.name, lessons: r.lessons, capacity: r.capacity, booked: r.booked, attended: r.attended, noShows: r.no_shows,
    fillRate: ratio(r.booked, r.capacity),
  });
  const byLessonType = rows.filter((r) => r.dim === 'type').map(row);
  // Every held lesson has exactly one type, so the types' rows add up to the whole.
  const sum = (k: 'lessons' | 'capacity' | 'booked' | 'attended' | 'noShows') => byLessonType.reduce((a, r) => a + r[k], 0);
  const total = { lessons: sum('lessons'), capacity: sum('capacity'), booked: sum('booked'), attended: sum('attended'), noShows: sum('noShows') };
  return {
    from: q.from, to: q.to,
    total: { ...total, fillRate: ratio(total.booked, total.capacity) },
    byLessonType,
    byInstructor: rows.filter((r) => r.dim === 'instructor').map(row),
  };
}

async function revenue(ctx: TenantContext, q: Period): Promise<z.input<typeof s.revenueReport>> {
  const day = tenantToday(ctx);
  const loc = q.locationId ?? null;
  const months = await reportsRepo.revenue(ctx.db, `${monthOf(q.from)}-01`, `${monthOf(q.to)}-01`, day, loc);
  return { from: q.from, to: q.to, months, mrr: await reportsRepo.mrr(ctx.db, day, loc) };
}

async function atRisk(ctx: TenantContext, q: z.output<typeof s.atRiskQuery>): Promise<z.input<typeof s.atRiskReport>> {
  const since = new Date(ctx.now.getTime() - q.days * 86_400_000);
  const rows = await reportsRepo.atRisk(ctx.db, since, q.locationId ?? null);
  return {
    days: q.days,
    items: rows.map((r) => ({
      memberId: r.id, memberNumber: r.member_number, name: [r.family_name, r.given_name].filter(Boolean).join(' '),
      lastCheckIn: r.last?.toISOString() ?? null,
    })),
  };
}

async function dashboard(ctx: TenantContext, q: z.output<typeof s.dayQuery>): Promise<z.input<typeof s.dashboard>> {
  const day = q.day ?? tenantToday(ctx);
  const month = monthOf(day);
  return {
    today: await today(ctx, { ...q, day }),
    members: await members(ctx, { from: `${month}-01`, to: day, locationId: q.locationId }),
    revenue: await revenue(ctx, { from: `${addMonths(month, -5)}-01`, to: day, locationId: q.locationId }),
  };
}

// CSV for spreadsheet software: Excel reads UTF-8 (Japanese names) only with a byte-order mark.
const cell = (v: unknown) => {
  const t = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
};
function toCsv(ctx: TenantContext, headers: MessageId[], rows: unknown[][]) {
  const head = headers.map((id) => render(text(id), ctx.request.locale));
  return '\uFEFF' + [head, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
const pct = (r: number | null) => (r === null ? '' : (Math.round(r * 10_000) / 100).toFixed(2));

export const reportsService = {
  dashboard, today, members, attendance, revenue, atRisk,

  async todayCsv(ctx: TenantContext, q: z.output<typeof s.dayQuery>) {
    const r = await today(ctx, q);
    return toCsv(ctx, ['reports.csv.day', 'reports.csv.lessons', 'reports.csv.bookings', 'reports.csv.check_ins', 'reports.csv.no_shows'],
      [[r.day, r.lessons, r.bookings, r.checkIns, r.noShows]]);
  },
  async membersCsv(ctx: TenantContext, q: Period) {
    const r = await members(ctx, q);
    return toCsv(ctx, [
      'reports.csv.from', 'reports.csv.to', 'reports.csv.active', 'reports.csv.trial', 'reports.csv.on_leave', 'reports.csv.new',
      'reports.csv.cancelled', 'reports.csv.active_at_start', 'reports.csv.churn_rate', 'reports.csv.trials_started',
      'reports.csv.trials_converted', 'reports.csv.trial_conversion',
    ], [[r.from, r.to, r.active, r.trial, r.onLeave, r.new, r.cancelled, r.activeAtStart, pct(r.churnRate), r.trialsStarted, r.trialsConverted, pct(r.trialConversion)]]);
  },
  async attendanceCsv(ctx: TenantContext, q: Period) {
    const r = await attendance(ctx, q);
    const kind = (id: MessageId) => render(text(id), ctx.request.locale);
    const none = kind('reports.csv.no_instructor');
    const line = (k: string, x: (typeof r.byLessonType)[number]) => [k, x.name ?? none, x.lessons, x.capacity, x.booked, x.attended, x.noShows, pct(x.fillRate)];
    return toCsv(ctx, ['reports.csv.dimension', 'reports.csv.name', 'reports.csv.lessons', 'reports.csv.capacity', 'reports.csv.bookings', 'reports.csv.attended', 'reports.csv.no_shows', 'reports.csv.fill_rate'], [
      ...r.byLessonType.map((x) => line(kind('reports.csv.lesson_type'), x)),
      ...r.byInstructor.map((x) => line(kind('reports.csv.instructor'), x)),
    ]);
  },
  async revenueCsv(ctx: TenantContext, q: Period) {
    const r = await revenue(ctx, q);
    return toCsv(ctx, ['reports.csv.month', 'reports.csv.invoiced', 'reports.csv.paid', 'reports.csv.overdue'], r.months.map((m) => [m.month, m.invoiced, m.paid, m.overdue]));
  },
  async atRiskCsv(ctx: TenantContext, q: z.output<typeof s.atRiskQuery>) {
    const r = await atRisk(ctx, q);
    return toCsv(ctx, ['reports.csv.member_number', 'reports.csv.name', 'reports.csv.last_check_in'],
      r.items.map((m) => [m.memberNumber, m.name, m.lastCheckIn]));
  },
};
