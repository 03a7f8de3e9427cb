import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
/**
 * Calendar dates as 'YYYY-MM-DD' strings and months as 'YYYY-MM'. Studio rules are about days and months in
 * the studio's own time zone, never instants, so nothing here depends on the server's zone.
 */
export type IsoDate = string;
export type IsoMonth = string;

const utc = (date: IsoDate) => new Date(`${date}T00:00:00Z`);
const iso = (d: Date): IsoDate => d.toISOString().slice(0, 10);

/**
 * The calendar date of an instant in a time zone (the studio's). Every date a person reads (documents, mail)
 * goes through this: an instant's UTC date is the day before in Japan until 09:00.
 */
export const dateIn = (instant: Date, timeZone: string): IsoDate => formatInTimeZone(instant, timeZone, 'yyyy-MM-dd');

/** Today in a time zone (the tenant's), as a date. */
export const todayIn = (timeZone: string, now: Date = new Date()): IsoDate => dateIn(now, timeZone);

/** The studio's today for a request or job: its time zone, at the moment the work started. */
export const tenantToday = (ctx: { tenant: { timezone: string }; now: Date }): IsoDate => todayIn(ctx.tenant.timezone, ctx.now);

export const monthOf = (date: IsoDate): IsoMonth => date.slice(0, 7);
export const firstDay = (month: IsoMonth): IsoDate => `${month}-01`;
export const dayOfMonth = (date: IsoDate) => Number(date.slice(8, 10));

export function addMonths(month: IsoMonth, n: number): IsoMonth {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export function daysInMonth(month: IsoMonth): number {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export const lastDay = (month: IsoMonth): IsoDate => `${month}-${String(daysInMonth(month)).padStart(2, '0')}`;

export function addDays(date: IsoDate, n: number): IsoDate {
  const d = utc(date);
  d.setUTCDate(d.getUTCDate() + n);
  return iso(d);
}

/** Whole months from a to b (b − a); 2026-01 to 2026-03 is 2. */
export function monthsBetween(a: IsoMonth, b: IsoMonth): number {
  const [ay, am] = a.split('-').map(Number) as [number, number];
  const [by, bm] = b.split('-').map(Number) as [number, number];
  return (by - ay) * 12 + (bm - am);
}

/** Months from `from` to `to`, both included. */
export function monthRange(from: IsoMonth, to: IsoMonth): IsoMonth[] {
  const out: IsoMonth[] = [];
  for (let m = from; m <= to; m = addMonths(m, 1)) out.push(m);
  return out;
}

// A month or day out of range is an Invalid Date, whose toISOString throws: a bad date, not a crash.
export const isValidDate = (date: string) => /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(utc(date).getTime()) && iso(utc(date)) === date;

/** 'HH:MM' or 'HH:MM:SS' (as PostgreSQL gives a time) to minutes after midnight. */
export const minutesOfDay = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The instant a local date and time ('HH:MM[:SS]') happen in a time zone. */
export const zonedInstant = (date: IsoDate, time: string, timeZone: string): Date => fromZonedTime(`${date}T${time.slice(0, 5)}:00`, timeZone);

/** The local date, time ('HH:MM') and ISO weekday (1 = Monday) of an instant in a time zone. */
export function localParts(instant: Date, timeZone: string): { date: IsoDate; time: string; weekday: number } {
  return {
    date: dateIn(instant, timeZone),
    time: formatInTimeZone(instant, timeZone, 'HH:mm'),
    weekday: Number(formatInTimeZone(instant, timeZone, 'i')),
  };
}

/** ISO weekday (1 = Monday) of a calendar date. */
export const weekdayOf = (date: IsoDate) => ((utc(date).getUTCDay() + 6) % 7) + 1;

/** A studio's quiet hours, local times 'HH:MM' in its time zone; null for none. */
export type QuietHours = { start: string; end: string } | null;
/** A studio that has not set its own: no optional message, no waitlist offer between 22:00 and 08:00. */
export const DEFAULT_QUIET_HOURS: NonNullable<QuietHours> = { start: '22:00', end: '08:00' };

/** Whether a local time falls in the quiet hours (a window such as 22:00–08:00 wraps midnight). */
export function inQuietHours(instant: Date, quiet: QuietHours, timeZone: string): boolean {
  if (!quiet) return false;
  const now = minutesOfDay(localParts(instant, timeZone).time);
  const start = minutesOfDay(quiet.start);
  const end = minutesOfDay(quiet.end);
  return start <= end ? now >= start && now < end : now >= start || now < end;
}

/** The instant the quiet hours around `instant` end (the next local end time). */
export function quietHoursEnd(instant: Date, quiet: NonNullable<QuietHours>, timeZone: string): Date {
  const local = localParts(instant, timeZone);
  const today = zonedInstant(local.date, quiet.end, timeZone);
  return today > instant ? today : zonedInstant(addDays(local.date, 1), quiet.end, timeZone);
}
