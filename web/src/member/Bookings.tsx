import { useState } from 'react';
import { reservationStatusLabel, type ReservationList, type Tenant, type WaitlistList } from '../api';
import { clock, dateAndClock } from '../time';
import { Alert, useApi } from '../ui';

/** The member's bookings (coming or past) and the waitlists they are on. Cancelling is on the timetable. */
export function Bookings({ tenant }: { tenant: Tenant }) {
  const [scope, setScope] = useState<'upcoming' | 'past'>('upcoming');
  const reservations = useApi<ReservationList>(`/api/me/reservations?scope=${scope}`);
  const waitlist = useApi<WaitlistList>('/api/me/waitlist');
  const tz = tenant.timezone;
  const waiting = (waitlist.data?.items ?? []).filter((w) => w.status === 'waiting' || w.status === 'offered');
  return (
    <section>
      <h2>My bookings</h2>
      <div className="actions">
        <button className={scope === 'upcoming' ? '' : 'secondary'} onClick={() => setScope('upcoming')}>Coming</button>
        <button className={scope === 'past' ? '' : 'secondary'} onClick={() => setScope('past')}>Past</button>
      </div>
      <Alert text={reservations.error ?? waitlist.error} />
      <ul className="list" aria-label="Bookings">
        {(reservations.data?.items ?? []).map((r) => (
          <li key={r.id} style={{ borderLeftColor: r.lesson.colour }}>
            <strong>{dateAndClock(r.lesson.startsAt, tz)}–{clock(r.lesson.endsAt, tz)}</strong> {r.lesson.lessonTypeName}
            <div className="muted small">
              {r.lesson.roomName} · {r.lesson.locationName} · {r.lesson.status === 'cancelled' ? 'Lesson cancelled' : reservationStatusLabel[r.status]}
            </div>
          </li>
        ))}
      </ul>
      {reservations.data?.items.length === 0 && <p className="muted">{scope === 'upcoming' ? 'No coming bookings.' : 'No past bookings.'}</p>}
      {scope === 'upcoming' && waiting.length > 0 && (
        <>
          <h3>Waitlists</h3>
          <ul className="list" aria-label="Waitlists">
            {waiting.map((w) => (
              <li key={w.id}>
                <strong>{dateAndClock(w.lesson.startsAt, tz)}</strong> {w.lesson.lessonTypeName}
                <div className="muted small">
                  {w.status === 'offered' && w.offerExpiresAt ? `Seat offered until ${dateAndClock(w.offerExpiresAt, tz)}: accept it on the timetable` : `Number ${w.position} in line`}
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
