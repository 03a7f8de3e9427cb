import type { TenantRouter } from '../../platform/http/tenant-route.js';
import * as s from './reports.schemas.js';
import { reportsService as reports } from './reports.service.js';

const MANAGERS = ['owner', 'manager'] as const;
const CSV = 'text/csv; charset=utf-8' as const;

/** The owner's dashboard and reports: figures computed in SQL over the tenant's own rows (docs/reports.md). */
export function reportRoutes({ route }: TenantRouter) {
  const tags = ['reports'];
  const access = MANAGERS;
  route({
    method: 'GET', url: '/api/reports/dashboard', summary: 'The dashboard: a day’s lessons, the members of its month so far, six months of revenue', tags, access,
    schema: { querystring: s.dayQuery, response: s.dashboard },
    handler: (ctx, { query }) => reports.dashboard(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/today', summary: 'A day’s lessons, bookings, check-ins and no-shows', tags, access,
    schema: { querystring: s.dayQuery, response: s.todayReport },
    handler: (ctx, { query }) => reports.today(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/today/export', summary: 'The day’s figures as CSV', tags, access, produces: CSV,
    schema: { querystring: s.dayQuery, response: s.csv },
    handler: (ctx, { query }) => reports.todayCsv(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/members', summary: 'Members by status, new and cancelled, churn and trial conversion in a period', tags, access,
    schema: { querystring: s.periodQuery, response: s.membersReport },
    handler: (ctx, { query }) => reports.members(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/members/export', summary: 'The members report as CSV', tags, access, produces: CSV,
    schema: { querystring: s.periodQuery, response: s.csv },
    handler: (ctx, { query }) => reports.membersCsv(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/attendance', summary: 'Attendance and fill rate per lesson type and per instructor in a period', tags, access,
    schema: { querystring: s.periodQuery, response: s.attendanceReport },
    handler: (ctx, { query }) => reports.attendance(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/attendance/export', summary: 'The attendance report as CSV', tags, access, produces: CSV,
    schema: { querystring: s.periodQuery, response: s.csv },
    handler: (ctx, { query }) => reports.attendanceCsv(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/revenue', summary: 'Invoiced, paid and overdue by month, and monthly recurring revenue', tags, access,
    schema: { querystring: s.periodQuery, response: s.revenueReport },
    handler: (ctx, { query }) => reports.revenue(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/revenue/export', summary: 'The revenue report as CSV', tags, access, produces: CSV,
    schema: { querystring: s.periodQuery, response: s.csv },
    handler: (ctx, { query }) => reports.revenueCsv(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/at-risk', summary: 'Active members with no check-in in the last N days', tags, access,
    schema: { querystring: s.atRiskQuery, response: s.atRiskReport },
    handler: (ctx, { query }) => reports.atRisk(ctx, query),
  });
  route({
    method: 'GET', url: '/api/reports/at-risk/export', summary: 'The at-risk members as CSV', tags, access, produces: CSV,
    schema: { querystring: s.atRiskQuery, response: s.csv },
    handler: (ctx, { query }) => reports.atRiskCsv(ctx, query),
  });
}
