/**
 * Calendar dates as 'YYYY-MM-DD' strings and months as 'YYYY-MM'. Studio rules are about days and months in
 * the studio's own time zone, never instants, so nothing here depends on the server's zone.
 */
export type IsoDate = string;
export type IsoMonth = string;

const utc = (date: IsoDate) => new Date(`${date}T00:00:00Z`);
const iso = (d: Date): IsoDate => d.toISOString().slice(0, 10);
/** ISO weekday (1 = Monday) of a Date's UTC fields. */
const isoWeekday = (d: Date) => ((d.getUTCDay() + 6) % 7) + 1;

/*
 * A time zone's offset from UTC at an instant, as date-fns-tz computes it (Intl's wall clock in that zone, to the
 * second), but remembered per quarter hour. A booking asks for local days and times some thirty times, and each
 * answer from Intl (formatToParts) was a tenth of the app's CPU per booking (the 2026-12-07 profile). Offsets
 * change only at a zone's transitions: a quarter hour whose first and last millisecond have the same offset has no
 * transition inside it (no zone changes twice within 15 minutes), so every instant in it has that offset.
 */
const QUARTER_HOUR_MS = 15 * 60_000;
const wallFormats = new Map<string, Intl.DateTimeFormat>();
const offsetsByZone = new Map<string, Map<number, number>>();
/** Quarter hours remembered per zone; then that zone's memory starts again (a year of bookings is ~35,000). */
const OFFSETS_KEPT = 50_000;

function wallFormat(timeZone: string) {
  let format = wallFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    wallFormats.set(timeZone, format);
  }
  return format;
}

/** Intl's offset (ms, east positive) at an instant, milliseconds dropped as Intl shows whole seconds. */
function exactOffset(timeZone: string, ms: number): number {
  const wall = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of wallFormat(timeZone).formatToParts(ms)) {
    if (part.type in wall) wall[part.type as keyof typeof wall] = Number(part.value);
  }
  const asUtc = new Date(0);
  asUtc.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  // % 24: some Intl versions write midnight as hour 24 even with h23 (date-fns-tz guards the same way).
  asUtc.setUTCHours(wall.hour % 24, wall.minute, wall.second, 0);
  return asUtc.getTime() - (ms - (((ms % 1000) + 1000) % 1000));
}

function offsetAt(timeZone: string, ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError('Invalid time value');
  let known = offsetsByZone.get(timeZone);
  if (!known) {
    // An unknown zone throws here (RangeError), before it is given a memory.
    wallFormat(timeZone);
    known = new Map();
    offsetsByZone.set(timeZone, known);
  }
  const quarter = Math.floor(ms / QUARTER_HOUR_MS);
  const remembered = known.get(quarter);
  if (remembered !== undefined) return remembered;
  const offset = exactOffset(timeZone, ms);
  const start = quarter * QUARTER_HOUR_MS;
  if (exactOffset(timeZone, start) === offset && exactOffset(timeZone, start + QUARTER_HOUR_MS - 1) === offset) {
    if (known.size >= OFFSETS_KEPT) known.clear();
    known.set(quarter, offset);
  }
  return offset;
}

/** The instant shifted by its zone's offset: its UTC fields are the wall clock's there. */
const wallClock = (instant: Date, timeZone: string) => new Date(instant.getTime() + offsetAt(timeZone, instant.getTime()));

/**
 * The instant a wall-clock time (given as if it were UTC) happens in a zone, resolved as date-fns-tz's
 * fromZonedTime resolves it: a time the clocks skip is taken at the offset after the change, a time they pass
 * twice at the first offset tried.
 */
function instantOfWall(wallMs: number, timeZone: string): Date {
  const first = offsetAt(timeZone, wallMs);
  let guess = wallMs - first;
  const second = offsetAt(timeZone, guess);
  if (second === first) return new Date(wallMs - first);
  guess -= second - first;
  const third = offsetAt(timeZone, guess);
  return new Date(wallMs - (second === third ? second : Math.max(second, third)));
}

/**
 * The calendar date of an instant in a time zone (the studio's). Every date a person reads (documents, mail)
 * goes through this: an instant's UTC date is the day before in Japan until 09:00.
 */
export const dateIn = (instant: Date, timeZone: string): IsoDate => iso(wallClock(instant, timeZone));

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

const wallTime = /^([01]\d|2[0-4]):([0-5]\d)(?::[0-5]\d(?:\.\d+)?)?$/;

/**
 * The instant a local date and time ('HH:MM[:SS]') happen in a time zone. An impossible date or time is an
 * invalid instant, and hour 24 is hour 0 of the same day, both as date-fns-tz's fromZonedTime had them.
 */
export function zonedInstant(date: IsoDate, time: string, timeZone: string): Date {
  const hhmm = wallTime.exec(time);
  if (!hhmm || !isValidDate(date)) return new Date(NaN);
  return instantOfWall(utc(date).getTime() + ((Number(hhmm[1]) % 24) * 60 + Number(hhmm[2])) * 60_000, timeZone);
}

/** The local date, time ('HH:MM') and ISO weekday (1 = Monday) of an instant in a time zone. */
export function localParts(instant: Date, timeZone: string): { date: IsoDate; time: string; weekday: number } {
  const wall = wallClock(instant, timeZone);
  return { date: iso(wall), time: wall.toISOString().slice(11, 16), weekday: isoWeekday(wall) };
}

/** ISO weekday (1 = Monday) of a calendar date. */
export const weekdayOf = (date: IsoDate) => isoWeekday(utc(date));

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
