/** Dates and times as the studio sees them: in its own time zone, whatever the phone or desk computer says. */

const fmt = (timeZone: string, o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-GB', { timeZone, ...o });

/** The studio's calendar day of an instant, as YYYY-MM-DD. */
export const dayOf = (at: Date | string, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(at));

/** A day tab's name: "Wed 26 Nov". Takes a YYYY-MM-DD (noon UTC stands for the whole day). */
export const dayLabel = (day: string) => fmt('UTC', { weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(`${day}T12:00:00Z`));

/** "18:30". */
export const clock = (at: string, timeZone: string) => fmt(timeZone, { hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(at));

/** "Tue 12:00": a moment within the coming days. */
export const dayAndClock = (at: string, timeZone: string) => `${fmt(timeZone, { weekday: 'short' }).format(new Date(at))} ${clock(at, timeZone)}`;

/** "Tue 25 Nov 12:00". */
export const dateAndClock = (at: string, timeZone: string) => `${dayLabel(dayOf(at, timeZone))} ${clock(at, timeZone)}`;

/** The day `n` days after a YYYY-MM-DD. */
export const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The Monday of the week of a YYYY-MM-DD. */
export const mondayOf = (day: string) => addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7));
