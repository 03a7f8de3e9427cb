import { useState } from 'react';
import type { Location, Tenant } from '../api';
import { navigate } from '../App';
import { addDays, clock, dayLabel, dayOf, mondayOf } from '../time';
import { Alert, Select, useApi } from '../ui';

/** A lesson as the timetable shows it. */
export interface TimetableLesson {
  id: string;
  startsAt: string;
  endsAt: string;
  typeName: string;
  colour: string;
  room: string;
  location: string;
  instructor: string | null;
  capacity: number;
  booked: number;
  waitlist: number | null;
  cancelled: boolean;
}

type Named = { name?: string; displayName?: string } | string | null | undefined;
const nameOf = (x: Named) => (typeof x === 'string' ? x : x?.name ?? x?.displayName ?? null);

/**
 * The one place that reads GET /api/lessons (written on another branch): its items as the timetable shows them.
 * Should the merged shape differ, only this changes.
 */
export function toTimetableLesson(raw: Record<string, unknown>): TimetableLesson {
  const r = raw as {
    id: string; startsAt: string; endsAt: string; lessonType: { name: string; colour: string }; room: Named; location: Named; instructor: Named; substitute?: Named;
    capacity: number; booked: number; held?: number; waitlistCount?: number; status: string;
  };
  return {
    id: r.id,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    typeName: r.lessonType.name,
    colour: r.lessonType.colour,
    room: nameOf(r.room) ?? '',
    location: nameOf(r.location) ?? '',
    // A substitute teaches this lesson instead of the regular instructor.
    instructor: r.substitute ? `${nameOf(r.substitute)} (substitute)` : nameOf(r.instructor),
    capacity: r.capacity,
    booked: r.booked + (r.held ?? 0),
    waitlist: r.waitlistCount ?? null,
    cancelled: r.status === 'cancelled',
  };
}

/** The studio's week, a column per day; a lesson opens its page (roster, waitlist, bookings). */
export function Timetable({ tenant }: { tenant: Tenant }) {
  const [monday, setMonday] = useState(() => mondayOf(dayOf(new Date(), tenant.timezone)));
  const [locationId, setLocationId] = useState('');
  const locations = useApi<{ items: Location[] }>('/api/locations');
  const query = new URLSearchParams({ from: monday, to: addDays(monday, 6), ...(locationId ? { locationId } : {}) });
  const lessons = useApi<{ items: Array<Record<string, unknown>> }>(`/api/lessons?${query}`);
  const items = (lessons.data?.items ?? []).map(toTimetableLesson);
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  return (
    <section>
      <div className="row">
        <h2>Timetable</h2>
        <div className="actions">
          <button className="secondary" onClick={() => setMonday(addDays(monday, -7))}>← Previous week</button>
          <button className="secondary" onClick={() => setMonday(mondayOf(dayOf(new Date(), tenant.timezone)))}>This week</button>
          <button className="secondary" onClick={() => setMonday(addDays(monday, 7))}>Next week →</button>
        </div>
      </div>
      <Select label="Location" value={locationId} onChange={setLocationId} options={[['', 'All locations'], ...(locations.data?.items ?? []).map((l): [string, string] => [l.id, l.name])]} />
      <Alert text={lessons.error} />
      <div className="week">
        {days.map((d) => (
          <div key={d} aria-label={dayLabel(d)}>
            <h4>{dayLabel(d)}</h4>
            {items
              .filter((l) => dayOf(l.startsAt, tenant.timezone) === d)
              .sort((a, b) => a.startsAt.localeCompare(b.startsAt))
              .map((l) => (
                <button key={l.id} className={l.cancelled ? 'slot cancelled' : 'slot'} style={{ borderLeftColor: l.colour }} onClick={() => navigate(`/lessons/${l.id}`)}>
                  <strong>{clock(l.startsAt, tenant.timezone)}</strong> {l.typeName}
                  <div className="muted">{[l.instructor, l.room].filter(Boolean).join(' · ')}</div>
                  <div>
                    {l.booked}/{l.capacity}
                    {l.waitlist ? ` · ${l.waitlist} waiting` : ''}
                  </div>
                </button>
              ))}
          </div>
        ))}
      </div>
    </section>
  );
}
