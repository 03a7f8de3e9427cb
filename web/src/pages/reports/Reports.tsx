import { useState, type ReactNode } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { NavLink, Navigate, Route, Routes, Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useMutation } from '@tanstack/react-query';
import { $api, fetchFile, saveFile } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useFormat } from '../../format';
import { Select, Table } from '../../ui';
import { DateField } from '../../ui/date-field';
import { PageTitle } from '../../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../../ui/states';

type Today = ResponseOf<'/api/reports/today', 'get'>;
type Members = ResponseOf<'/api/reports/members', 'get'>;
type Revenue = ResponseOf<'/api/reports/revenue', 'get'>;
type AttendanceRow = ResponseOf<'/api/reports/attendance', 'get'>['byLessonType'][number];

/** Colours with at least 3:1 contrast on white; every series is named in the legend and the table too. */
const COLOURS = { a: '#4f46e5', b: '#0f766e', c: '#b42318' };

/** YYYY-MM-DD of the studio's today, and the first day of its month. */
function useToday() {
  const f = useFormat();
  const today = f.dayOf(new Date());
  return { today, monthStart: `${today.slice(0, 8)}01` };
}

/** Query parameters without the blank location ("every location"). */
const withLocation = <T extends object>(q: T, locationId: string) => (locationId ? { ...q, locationId } : q);

/** Downloads a CSV export (its headers are the server's, in the language in use) and saves it under `filename`. */
function useCsv() {
  const download = useMutation({ mutationFn: async ({ path, filename }: { path: string; filename: string }) => saveFile(await fetchFile(path, 'text/csv'), filename) });
  return { busy: download.isPending, error: download.error, download: (path: string, filename: string) => download.mutate({ path, filename }) };
}

function CsvButton({ path, filename }: { path: string; filename: string }) {
  const csv = useCsv();
  return (
    <div>
      <button type="button" className="secondary" disabled={csv.busy} onClick={() => csv.download(path, filename)}>
        <FormattedMessage id="reports.csv" />
      </button>
      <ProblemAlert error={csv.error} />
    </div>
  );
}

function LocationPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const intl = useIntl();
  const locations = $api.useQuery('get', '/api/locations');
  return (
    <>
      <Select
        label={intl.formatMessage({ id: 'reports.location' })}
        value={value}
        onChange={onChange}
        options={[['', intl.formatMessage({ id: 'reports.allLocations' })], ...(locations.data?.items ?? []).map((l): [string, string] => [l.id, l.name])]}
      />
      <ProblemAlert error={locations.error} />
    </>
  );
}

/** Figures as large numbers with their names (a definition list, read as name–value pairs). */
function Figures({ items }: { items: Array<[string, ReactNode]> }) {
  return (
    <dl className="quotas" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(9rem, 1fr))' }}>
      {items.map(([k, v]) => (
        <div key={k} className="contract" style={{ margin: 0 }}>
          <dt className="muted small">{k}</dt>
          <dd style={{ margin: 0, fontSize: '1.5rem', fontWeight: 600 }}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

const percent = (intl: ReturnType<typeof useIntl>, r: number | null | undefined) =>
  r === null || r === undefined ? '—' : intl.formatNumber(r, { style: 'percent', maximumFractionDigits: 1 });

/**
 * A bar chart drawn for sighted users; its figures are also in the table next to it (the text alternative), so
 * the chart itself is hidden from screen readers and keeps no keyboard stop of its own.
 */
function Bars({ data, x, bars, summary }: { data: Array<Record<string, string | number>>; x: string; bars: Array<{ key: string; name: string; colour: string }>; summary: string }) {
  return (
    <figure style={{ margin: '1rem 0' }}>
      <div aria-hidden="true" style={{ width: '100%', height: 240 }}>
        <ResponsiveContainer>
          <BarChart data={data} accessibilityLayer={false} margin={{ left: 8, right: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey={x} tick={{ fontSize: 12 }} />
            <YAxis tick={{ fontSize: 12 }} width={64} />
            <Tooltip />
            <Legend />
            {bars.map((b) => <Bar key={b.key} dataKey={b.key} name={b.name} fill={b.colour} isAnimationActive={false} />)}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="muted small">{summary}</figcaption>
    </figure>
  );
}

function TodayFigures({ r }: { r: Today }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id });
  return <Figures items={[[t('reports.f.lessons'), r.lessons], [t('reports.f.bookings'), r.bookings], [t('reports.f.checkIns'), r.checkIns], [t('reports.f.noShows'), r.noShows]]} />;
}

function MemberFigures({ r }: { r: Members }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id });
  return (
    <Figures
      items={[
        [t('reports.f.active'), r.active], [t('reports.f.trial'), r.trial], [t('reports.f.onLeave'), r.onLeave],
        [t('reports.f.new'), r.new], [t('reports.f.cancelled'), r.cancelled],
        [t('reports.f.churnRate'), percent(intl, r.churnRate)], [t('reports.f.trialConversion'), percent(intl, r.trialConversion)],
      ]}
    />
  );
}

function RevenueView({ r }: { r: Revenue }) {
  const intl = useIntl();
  const f = useFormat();
  const t = (id: string) => intl.formatMessage({ id });
  const data = r.months.map((m) => ({ ...m, label: f.month(m.month) }));
  const latest = r.months.at(-1);
  return (
    <>
      <Figures items={[[t('reports.f.mrr'), f.money(r.mrr)], ...(latest ? [[t('reports.f.invoicedLatest'), f.money(latest.invoiced)] as [string, ReactNode]] : [])]} />
      <Bars
        data={data}
        x="label"
        bars={[
          { key: 'invoiced', name: t('reports.f.invoiced'), colour: COLOURS.a },
          { key: 'paid', name: t('reports.f.paid'), colour: COLOURS.b },
          { key: 'overdue', name: t('reports.f.overdue'), colour: COLOURS.c },
        ]}
        summary={t('reports.revenue.chart')}
      />
      <Table head={['reports.f.month', 'reports.f.invoiced', 'reports.f.paid', 'reports.f.overdue'].map(t)} caption={t('reports.revenue.chart')}>
        {r.months.map((m) => (
          <tr key={m.month}><td>{f.month(m.month)}</td><td>{f.money(m.invoiced)}</td><td>{f.money(m.paid)}</td><td>{f.money(m.overdue)}</td></tr>
        ))}
      </Table>
    </>
  );
}

/** The owner's dashboard: a day's lessons, the members of its month so far, six months of revenue. */
export function Dashboard() {
  const intl = useIntl();
  const f = useFormat();
  const { today } = useToday();
  const [day, setDay] = useState(today);
  const [locationId, setLocationId] = useState('');
  const query = withLocation({ day }, locationId);
  const q = $api.useQuery('get', '/api/reports/dashboard', { params: { query } });
  const title = intl.formatMessage({ id: 'reports.dashboard.title' });
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      <div className="inline-fields">
        <DateField label={intl.formatMessage({ id: 'reports.day' })} value={day} onChange={setDay} isRequired />
        <LocationPicker value={locationId} onChange={setLocationId} />
      </div>
      <QueryView query={q} rows={8}>
        {(d) => (
          <>
            <h2><FormattedMessage id="reports.dashboard.day" values={{ day: f.date(d.today.day) }} /></h2>
            <TodayFigures r={d.today} />
            <CsvButton path={`/api/reports/today/export?${new URLSearchParams(query)}`} filename={`day-${d.today.day}.csv`} />
            <h2><FormattedMessage id="reports.dashboard.members" values={{ month: f.month(d.members.from) }} /></h2>
            <MemberFigures r={d.members} />
            <h2><FormattedMessage id="reports.dashboard.revenue" /></h2>
            <RevenueView r={d.revenue} />
            <p><Link to="/reports"><FormattedMessage id="reports.dashboard.more" /></Link></p>
          </>
        )}
      </QueryView>
    </>
  );
}

type Period = { from: string; to: string; locationId: string };

function PeriodPicker({ period, onChange }: { period: Period; onChange: (p: Period) => void }) {
  const intl = useIntl();
  return (
    <div className="inline-fields">
      <DateField label={intl.formatMessage({ id: 'reports.from' })} value={period.from} onChange={(from) => onChange({ ...period, from })} isRequired />
      <DateField label={intl.formatMessage({ id: 'reports.to' })} value={period.to} onChange={(to) => onChange({ ...period, to })} isRequired />
      <LocationPicker value={period.locationId} onChange={(locationId) => onChange({ ...period, locationId })} />
    </div>
  );
}

const periodQuery = (p: Period) => withLocation({ from: p.from, to: p.to }, p.locationId);

function MembersReport({ period }: { period: Period }) {
  const query = periodQuery(period);
  const q = $api.useQuery('get', '/api/reports/members', { params: { query } });
  return (
    <>
      <QueryView query={q}>{(r) => <MemberFigures r={r} />}</QueryView>
      <p className="muted small"><FormattedMessage id="reports.members.definitions" /></p>
      <CsvButton path={`/api/reports/members/export?${new URLSearchParams(query)}`} filename={`members-${period.from}-${period.to}.csv`} />
    </>
  );
}

function AttendanceTable({ rows, caption, noName }: { rows: AttendanceRow[]; caption: string; noName: string }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id });
  return (
    <Table head={['reports.f.name', 'reports.f.lessons', 'reports.f.capacity', 'reports.f.bookings', 'reports.f.attended', 'reports.f.noShows', 'reports.f.fillRate'].map(t)} caption={caption}>
      {rows.map((r) => (
        <tr key={r.id ?? 'none'}>
          <td>{r.name ?? noName}</td><td>{r.lessons}</td><td>{r.capacity}</td><td>{r.booked}</td><td>{r.attended}</td><td>{r.noShows}</td><td>{percent(intl, r.fillRate)}</td>
        </tr>
      ))}
    </Table>
  );
}

function AttendanceReport({ period }: { period: Period }) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id });
  const query = periodQuery(period);
  const q = $api.useQuery('get', '/api/reports/attendance', { params: { query } });
  return (
    <>
      <QueryView query={q}>
        {(r) =>
          r.total.lessons === 0 ? (
            <EmptyState><FormattedMessage id="reports.attendance.empty" /></EmptyState>
          ) : (
            <>
              <Figures items={[[t('reports.f.lessons'), r.total.lessons], [t('reports.f.bookings'), r.total.booked], [t('reports.f.attended'), r.total.attended], [t('reports.f.fillRate'), percent(intl, r.total.fillRate)]]} />
              <h3><FormattedMessage id="reports.attendance.byLessonType" /></h3>
              <Bars
                data={r.byLessonType.map((x) => ({ name: x.name ?? '', attended: x.attended, noShows: x.noShows }))}
                x="name"
                bars={[{ key: 'attended', name: t('reports.f.attended'), colour: COLOURS.b }, { key: 'noShows', name: t('reports.f.noShows'), colour: COLOURS.c }]}
                summary={t('reports.attendance.chart')}
              />
              <AttendanceTable rows={r.byLessonType} caption={t('reports.attendance.byLessonType')} noName="" />
              <h3><FormattedMessage id="reports.attendance.byInstructor" /></h3>
              <AttendanceTable rows={r.byInstructor} caption={t('reports.attendance.byInstructor')} noName={t('reports.attendance.noInstructor')} />
            </>
          )
        }
      </QueryView>
      <CsvButton path={`/api/reports/attendance/export?${new URLSearchParams(query)}`} filename={`attendance-${period.from}-${period.to}.csv`} />
    </>
  );
}

function RevenueReport({ period }: { period: Period }) {
  const query = periodQuery(period);
  const q = $api.useQuery('get', '/api/reports/revenue', { params: { query } });
  return (
    <>
      <QueryView query={q}>{(r) => <RevenueView r={r} />}</QueryView>
      <CsvButton path={`/api/reports/revenue/export?${new URLSearchParams(query)}`} filename={`revenue-${period.from}-${period.to}.csv`} />
    </>
  );
}

function DayReport({ period }: { period: Period }) {
  const intl = useIntl();
  const [day, setDay] = useState(period.to);
  const query = withLocation({ day }, period.locationId);
  const q = $api.useQuery('get', '/api/reports/today', { params: { query } });
  return (
    <>
      <DateField label={intl.formatMessage({ id: 'reports.day' })} value={day} onChange={setDay} isRequired />
      <QueryView query={q}>{(r) => <TodayFigures r={r} />}</QueryView>
      <CsvButton path={`/api/reports/today/export?${new URLSearchParams(query)}`} filename={`day-${day}.csv`} />
    </>
  );
}

function AtRiskReport({ period }: { period: Period }) {
  const intl = useIntl();
  const f = useFormat();
  const t = (id: string) => intl.formatMessage({ id });
  const [days, setDays] = useState('30');
  const query = withLocation({ days: Number(days) }, period.locationId);
  const q = $api.useQuery('get', '/api/reports/at-risk', { params: { query } });
  return (
    <>
      <Select
        label={t('reports.atRisk.days')}
        value={days}
        onChange={setDays}
        options={['14', '30', '60', '90'].map((n): [string, string] => [n, intl.formatMessage({ id: 'reports.atRisk.daysOption' }, { n: Number(n) })])}
      />
      <QueryView query={q}>
        {(r) =>
          r.items.length === 0 ? (
            <EmptyState><FormattedMessage id="reports.atRisk.empty" values={{ n: r.days }} /></EmptyState>
          ) : (
            <Table head={['reports.f.memberNumber', 'reports.f.name', 'reports.f.lastCheckIn'].map(t)} caption={t('reports.nav.atRisk')}>
              {r.items.map((m) => (
                <tr key={m.memberId}>
                  <td><Link to={`/members/${m.memberId}`}>{m.memberNumber}</Link></td>
                  <td>{m.name}</td>
                  <td>{m.lastCheckIn ? f.dateTime(m.lastCheckIn) : t('reports.atRisk.never')}</td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
      <CsvButton path={`/api/reports/at-risk/export?${new URLSearchParams({ ...query, days: String(query.days) })}`} filename={`at-risk-${days}.csv`} />
    </>
  );
}

const REPORTS = [
  ['members', 'reports.nav.members', MembersReport],
  ['attendance', 'reports.nav.attendance', AttendanceReport],
  ['revenue', 'reports.nav.revenue', RevenueReport],
  ['day', 'reports.nav.day', DayReport],
  ['at-risk', 'reports.nav.atRisk', AtRiskReport],
] as const;

/** Reports with charts and CSV export (routes below /reports), over a period and location the user picks. */
export function Reports() {
  const intl = useIntl();
  const { today, monthStart } = useToday();
  const [period, setPeriod] = useState<Period>({ from: monthStart, to: today, locationId: '' });
  const title = intl.formatMessage({ id: 'reports.title' });
  const wrong = period.from > period.to || Date.parse(period.to) - Date.parse(period.from) > 400 * 86_400_000;
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      <nav className="tabs" aria-label={title}>
        {REPORTS.map(([path, id]) => (
          <NavLink key={path} to={`/reports/${path}`} className={({ isActive }) => (isActive ? 'tab active' : 'tab')}>
            <FormattedMessage id={id} />
          </NavLink>
        ))}
      </nav>
      <PeriodPicker period={period} onChange={setPeriod} />
      {wrong ? (
        <p className="error" role="alert"><FormattedMessage id="reports.periodInvalid" /></p>
      ) : (
        <Routes>
          <Route index element={<Navigate to="members" replace />} />
          {REPORTS.map(([path, , Screen]) => <Route key={path} path={path} element={<Screen period={period} />} />)}
        </Routes>
      )}
    </>
  );
}
