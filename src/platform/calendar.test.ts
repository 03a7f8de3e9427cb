import { formatInTimeZone, fromZonedTime, getTimezoneOffset } from 'date-fns-tz';
import { describe, expect, it } from 'vitest';
import { addDays, dateIn, localParts, zonedInstant } from './calendar.js';

// date-fns-tz is the oracle: calendar.ts computes the same answers from offsets it remembers per quarter hour.
// Zones with the awkward cases: daylight saving both ways, half-hour and 45-minute offsets, a 30-minute DST shift
// (Lord Howe), Apia (without daylight saving since 2021), and none at all (Tokyo).
const zones = ['Asia/Tokyo', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham', 'Pacific/Apia', 'UTC'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const expected = (at: Date, zone: string) => ({
  date: formatInTimeZone(at, zone, 'yyyy-MM-dd'),
  time: formatInTimeZone(at, zone, 'HH:mm'),
  weekday: Number(formatInTimeZone(at, zone, 'i')),
});

const found = new Map<string, number[]>();
/** The hours (UTC) from 2025-06 to 2026-12 in which a zone's offset changes, found hour by hour with date-fns-tz. */
function transitions(zone: string) {
  if (!found.has(zone)) {
    const hours: number[] = [];
    for (let t = Date.parse('2025-06-01T00:00:00Z'); t < Date.parse('2026-12-31T00:00:00Z'); t += HOUR) {
      if (getTimezoneOffset(zone, new Date(t)) !== getTimezoneOffset(zone, new Date(t + HOUR))) hours.push(t);
    }
    found.set(zone, hours);
  }
  return found.get(zone)!;
}

describe('calendar: local days and times in a time zone', () => {
  it.each(zones)('agrees with date-fns-tz on the local date, time and weekday of instants in %s', (zone) => {
    // Every 5 h 17 min over a year and a half (every hour of the day in turn), and every 61 s for 3 hours around
    // each change.
    for (let t = Date.parse('2025-06-01T00:17:23Z'); t < Date.parse('2026-12-31T00:00:00Z'); t += 5 * HOUR + 17 * MINUTE) {
      expect(localParts(new Date(t), zone)).toEqual(expected(new Date(t), zone));
    }
    const changes = transitions(zone);
    if (!['Asia/Tokyo', 'UTC', 'Asia/Kathmandu', 'Pacific/Apia'].includes(zone)) expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) {
      for (let t = change - HOUR; t < change + 2 * HOUR; t += 61_000) {
        expect(localParts(new Date(t), zone), `${new Date(t).toISOString()} in ${zone}`).toEqual(expected(new Date(t), zone));
      }
    }
  });

  it('agrees on instants before standard time, whose offsets have seconds (London before 1847, Tokyo before 1888)', () => {
    for (const zone of ['Asia/Tokyo', 'Europe/London', 'America/New_York']) {
      for (let t = Date.parse('1847-11-30T00:00:00Z'); t < Date.parse('1847-12-03T00:00:00Z'); t += 7 * MINUTE + 13_000) {
        expect(localParts(new Date(t), zone)).toEqual(expected(new Date(t), zone));
      }
      for (let t = Date.parse('1887-12-30T00:00:00Z'); t < Date.parse('1888-01-02T00:00:00Z'); t += 7 * MINUTE + 13_000) {
        expect(dateIn(new Date(t), zone)).toBe(formatInTimeZone(new Date(t), zone, 'yyyy-MM-dd'));
      }
    }
  });

  it.each(zones)('agrees with date-fns-tz on the instant of every local quarter hour on the days of a change in %s', (zone) => {
    // The days around each change (times the clocks skip and times they pass twice) and every 31st day besides.
    const days = new Set<string>();
    for (const change of transitions(zone)) {
      const day = dateIn(new Date(change), 'UTC');
      for (const d of [-1, 0, 1]) days.add(addDays(day, d));
    }
    for (let day = '2025-06-01'; day < '2026-12-31'; day = addDays(day, 31)) days.add(day);
    for (const day of days) {
      for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
        const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
        expect(zonedInstant(day, time, zone).getTime(), `${day} ${time} in ${zone}`).toBe(fromZonedTime(`${day}T${time}:00`, zone).getTime());
      }
    }
  });

  it('a local time the clocks skip or pass twice resolves as before, and a bad date is an invalid instant', () => {
    // New York, 2026-03-08: 02:30 does not exist and is taken at the offset after the change (EDT, −4 h).
    expect(zonedInstant('2026-03-08', '02:30', 'America/New_York').toISOString()).toBe('2026-03-08T06:30:00.000Z');
    expect(zonedInstant('2026-12-05', '12:00', 'Asia/Tokyo').toISOString()).toBe('2026-12-05T03:00:00.000Z');
    expect(localParts(new Date('2026-12-06T14:59:59Z'), 'Asia/Tokyo')).toEqual({ date: '2026-12-06', time: '23:59', weekday: 7 });
    expect(localParts(new Date('2026-12-06T15:00:00Z'), 'Asia/Tokyo')).toEqual({ date: '2026-12-07', time: '00:00', weekday: 1 });
    for (const [date, time] of [['2026-02-30x', '12:00'], ['2026-02-30', '12:00'], ['2026-04-31', '00:00'], ['2026-12-05', '10:75'], ['2026-12-05', '23:59:60'], ['2026-12-05', '']]) {
      expect(Number.isNaN(zonedInstant(date!, time!, 'Asia/Tokyo').getTime()), `${date} ${time}`).toBe(true);
      expect(Number.isNaN(fromZonedTime(`${date}T${time}:00`, 'Asia/Tokyo').getTime()), `${date} ${time} (date-fns-tz)`).toBe(true);
    }
    // Hour 24 ('24:00', which a time column can hold) is hour 0 of the same day, as before.
    for (const time of ['24:00', '24:30']) {
      expect(zonedInstant('2026-12-05', time, 'Asia/Tokyo').getTime()).toBe(fromZonedTime(`2026-12-05T${time}:00`, 'Asia/Tokyo').getTime());
    }
    expect(zonedInstant('2026-12-05', '09:30:15', 'Asia/Tokyo').toISOString()).toBe('2026-12-05T00:30:00.000Z');
    expect(() => zonedInstant('2026-12-05', '12:00', 'Not/A_Zone')).toThrow(RangeError);
    expect(() => dateIn(new Date(NaN), 'Asia/Tokyo')).toThrow(RangeError);
  });
});
