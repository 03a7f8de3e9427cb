import { useReducer, useState } from 'react';
import type { BookingResult, MemberSchedule, ScheduleLesson, Tenant } from '../api';
import { addDays, clock, dayAndClock, dayLabel, dayOf } from '../time';
import { Alert, useApi, useWrite } from '../ui';

/** The coming week, a tab per day; each lesson has the one thing the member can do about it now. */
export function Schedule({ tenant }: { tenant: Tenant }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const schedule = useApi<MemberSchedule>('/api/me/schedule?days=7', version);
  const [picked, setPicked] = useState<string | null>(null);
  if (!schedule.data) return schedule.error ? <Alert text={schedule.error} /> : <p>Loading…</p>;
  const { from, days, lessons } = schedule.data;
  const dates = Array.from({ length: days }, (_, i) => addDays(from, i));
  const day = picked ?? from;
  const todays = lessons.filter((l) => dayOf(l.startsAt, tenant.timezone) === day);
  return (
    <section>
      <h2>Timetable</h2>
      <div className="days" role="tablist" aria-label="Days">
        {dates.map((d) => (
          <button key={d} role="tab" aria-selected={d === day} className={d === day ? 'tab active' : 'tab'} onClick={() => setPicked(d)}>
            {dayLabel(d)}
          </button>
        ))}
      </div>
      <Alert text={schedule.error} />
      {todays.length === 0 && <p className="muted">No lessons on this day.</p>}
      {todays.map((l) => <LessonCard key={l.id} lesson={l} timeZone={tenant.timezone} onChange={reload} />)}
    </section>
  );
}

function LessonCard({ lesson: l, timeZone, onChange }: { lesson: ScheduleLesson; timeZone: string; onChange: () => void }) {
  const name = `${l.lessonType.name} at ${clock(l.startsAt, timeZone)}`;
  return (
    <article className="lesson" aria-label={name} style={{ borderLeftColor: l.lessonType.colour }}>
      <div className="row">
        <strong>{clock(l.startsAt, timeZone)}–{clock(l.endsAt, timeZone)}</strong>
        <span className="muted small">{l.room.name} · {l.location.name}</span>
      </div>
      <div>{l.lessonType.name}</div>
      <div className="muted small">
        {l.instructor ? <>{l.instructor.name}{l.instructor.substitute && <span className="badge sub"> Substitute</span>}</> : 'Instructor to be announced'}
      </div>
      {l.status === 'scheduled' && (
        <div className="small">{l.seatsLeft > 0 ? `${l.seatsLeft} ${l.seatsLeft === 1 ? 'seat' : 'seats'} left` : `Full · ${l.waitlistCount} waiting`}</div>
      )}
      <LessonAction lesson={l} timeZone={timeZone} onChange={onChange} />
    </article>
  );
}

/** The action of a lesson's state, with the API's words when it refuses. */
function LessonAction({ lesson: l, timeZone, onChange }: { lesson: ScheduleLesson; timeZone: string; onChange: () => void }) {
  const { busy, error, send } = useWrite();
  const [confirming, setConfirming] = useState(false);
  const me = l.me;
  const act = (action: string, path: string, body?: object) => async () => {
    if (await send<BookingResult>(action, 'POST', path, body)) onChange();
  };
  const book = (joinWaitlist: boolean) => act(`book:${l.id}`, '/api/me/reservations', { lessonId: l.id, joinWaitlist });

  let content;
  switch (me.state) {
    case 'bookable':
      content = <button disabled={busy} onClick={book(false)}>Book</button>;
      break;
    case 'full':
      content = <button disabled={busy} onClick={book(true)}>Join waitlist</button>;
      break;
    case 'opens':
      content = <span className="muted">Opens {dayAndClock(me.opensAt, timeZone)}</span>;
      break;
    case 'waitlisted':
      content = (
        <>
          <span className="badge">Waitlist #{me.position}</span>
          <button className="secondary" disabled={busy} onClick={act(`leave:${me.waitlistEntryId}`, `/api/me/waitlist/${me.waitlistEntryId}/leave`)}>Leave waitlist</button>
        </>
      );
      break;
    case 'offered':
      content = (
        <>
          <span>A seat is yours if you accept by {dayAndClock(me.offerExpiresAt, timeZone)}</span>
          <button disabled={busy} onClick={act(`accept:${me.waitlistEntryId}`, `/api/me/waitlist/${me.waitlistEntryId}/accept`)}>Accept offer</button>
          <button className="secondary" disabled={busy} onClick={act(`leave:${me.waitlistEntryId}`, `/api/me/waitlist/${me.waitlistEntryId}/leave`)}>Decline</button>
        </>
      );
      break;
    case 'booked': {
      const late = Date.now() > Date.parse(me.cancelDeadline);
      const cancel = act(`cancel:${me.reservationId}`, `/api/me/reservations/${me.reservationId}/cancel`);
      content = confirming ? (
        <div className="confirm" role="group" aria-label="Cancel this booking?">
          {late ? (
            <p className="error">It is past the cancellation deadline ({dayAndClock(me.cancelDeadline, timeZone)}): if you cancel now, the credit is kept.</p>
          ) : (
            <p>Cancel this booking? The credit comes back.</p>
          )}
          <button disabled={busy} onClick={cancel}>Yes, cancel</button>
          <button className="secondary" onClick={() => setConfirming(false)}>Keep it</button>
        </div>
      ) : (
        <>
          <span className="badge status-active">Booked{me.spot ? ` · spot ${me.spot}` : ''}</span>
          <button className="secondary" onClick={() => setConfirming(true)}>Cancel</button>
          <span className="muted small">{late ? 'Cancelling now is late' : `Free cancellation until ${dayAndClock(me.cancelDeadline, timeZone)}`}</span>
        </>
      );
      break;
    }
    case 'closed':
      content = <span className="muted">Booking closed</span>;
      break;
    case 'cancelled':
      content = <span className="badge status-cancelled">Lesson cancelled</span>;
      break;
  }
  return (
    <>
      <div className="actions">{content}</div>
      <Alert text={error} />
    </>
  );
}
