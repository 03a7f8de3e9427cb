/** The formatters of `useFormat`, for a language and a time zone (also used by the browser tests). */
export function formatters(locale: string, timeZone: string) {
  const fmt = (o: Intl.DateTimeFormatOptions, zone = timeZone) => new Intl.DateTimeFormat(locale, { timeZone: zone, ...o });
  const dateOnly = fmt({ year: 'numeric', month: 'long', day: 'numeric', weekday: 'short' }, 'UTC');
  const dayOnly = fmt({ month: 'long', day: 'numeric', weekday: 'short' }, 'UTC');
  const monthOnly = fmt({ year: 'numeric', month: 'long' }, 'UTC');
  const clock = fmt({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const clockSeconds = fmt({ hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const dayAndTime = fmt({ month: 'long', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const fullDateTime = fmt({ year: 'numeric', month: 'long', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const numbers = new Intl.NumberFormat(locale);
  const calendarDay = (day: string) => new Date(`${day.slice(0, 10)}T12:00:00Z`);
  return {
    locale,
    timeZone,
    /** A calendar day (YYYY-MM-DD): 2026年12月5日(土) / Sat, December 5, 2026. */
    date: (day: string) => dateOnly.format(calendarDay(day)),
    /** A calendar day without its year: 12月5日(土). */
    day: (day: string) => dayOnly.format(calendarDay(day)),
    /** A month (YYYY-MM or YYYY-MM-DD): 2026年12月. */
    month: (month: string) => monthOnly.format(calendarDay(`${month.slice(0, 7)}-01`)),
    /** An instant's time of day at the studio: 10:00. */
    clock: (at: string | Date) => clock.format(new Date(at)),
    /** The same to the second, for a waiting room's turn: 12:00:04. */
    clockSeconds: (at: string | Date) => clockSeconds.format(new Date(at)),
    /** An instant within the coming weeks: 12月5日(土) 10:00. */
    dayAndTime: (at: string | Date) => dayAndTime.format(new Date(at)),
    /** An instant with its year: 2026年12月5日(土) 10:00. */
    dateTime: (at: string | Date) => fullDateTime.format(new Date(at)),
    /** The studio's calendar day of an instant, as YYYY-MM-DD. */
    dayOf: (at: string | Date) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(at)),
    /** Integer minor units as money (¥8,800), with the half-width yen sign of Japanese price tags. */
    money: (amount: number, currency = 'JPY') => formatMoney(amount, currency, locale),
    number: (n: number) => numbers.format(n),
    /** Bytes in binary units, as the plans are sized: 12.3 MiB, 10 GiB. */
    bytes: (n: number) => formatBytes(n, locale),
  };
}

export type Format = ReturnType<typeof formatters>;

const currencyFormats = new Map<string, Intl.NumberFormat>();
function currencyFormat(currency: string, locale = 'ja') {
  const key = `${locale}:${currency}`;
  let f = currencyFormats.get(key);
  if (!f) currencyFormats.set(key, (f = new Intl.NumberFormat(locale, { style: 'currency', currency })));
  return f;
}

export function formatMoney(amount: number, currency: string, locale = 'ja'): string {
  return currencyFormat(currency, locale).format(amount / 10 ** minorDigits(currency)).replace('\uffe5', '¥');
}

/** Digits of the minor unit: 0 for yen, 2 for dollars. Staff type amounts in the major unit. */
export const minorDigits = (currency: string) => currencyFormat(currency).resolvedOptions().maximumFractionDigits ?? 0;

/** An amount typed by staff (in yen, or dollars) in minor units; blank is undefined. */
export function toMinor(typed: string, currency: string): number | undefined {
  if (typed.trim() === '') return undefined;
  return Math.round(Number(typed) * 10 ** minorDigits(currency));
}


/** The day `n` days after a YYYY-MM-DD. */
export const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The Monday of the week of a YYYY-MM-DD. */
export const mondayOf = (day: string) => addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7));

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units, as the plans are sized (1 GiB, 10 GiB): 12.3 MiB, 10 GiB. */
export function formatBytes(bytes: number, locale = 'ja'): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${new Intl.NumberFormat(locale).format(shown)} ${BYTE_UNITS[unit]}`;
}
