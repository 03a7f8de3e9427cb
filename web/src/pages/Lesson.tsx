import { useReducer, useState } from 'react';
import { reservationStatusLabel, type BookingResult, type CancelResult, type MemberSummary, type Role, type Roster, type Tenant } from '../api';
import { navigate } from '../App';
import { clock, dateAndClock } from '../time';
import { Alert, can, Table, useApi, useWrite } from '../ui';
import { MemberPicker } from './Members';
import { toTimetableLesson } from './Timetable';

type Booking = Roster['reservations'][number];

/** One lesson: who is booked (and checked in), who waits, and the desk's bookings and cancellations for members. */
export function Lesson({ id, role, tenant }: { id: string; role: Role; tenant: Tenant }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const roster = useApi<Roster>(`/api/lessons/${id}/reservations`, version);
  const lesson = useApi<Record<string, unknown>>(`/api/lessons/${id}`, version);
  const info = lesson.data ? toTimetableLesson(lesson.data) : null;
  const tz = tenant.timezone;
  const desk = can.sell(role);
  const active = (roster.data?.reservations ?? []).filter((r) => r.status !== 'cancelled' && r.status !== 'late_cancelled' && r.status !== 'released');
  const gone = (roster.data?.reservations ?? []).filter((r) => !active.includes(r));
  return (
    <section>
      <button className="link" onClick={() => navigate('/timetable')}>← Timetable</button>
      <h2>{info ? `${info.typeName}, ${dateAndClock(info.startsAt, tz)}–${clock(info.endsAt, tz)}` : 'Lesson'}</h2>
      {info && (
        <p className="muted">
          {[info.instructor, info.room, info.location].filter(Boolean).join(' · ')} · {info.booked}/{info.capacity} booked{info.cancelled ? ' · cancelled' : ''}
        </p>
      )}
      <Alert text={roster.error} />
      <h3>Roster</h3>
      <Table head={['No.', 'Member', 'Status', 'Spot', 'Checked in', '']}>
        {active.map((r) => (
          <tr key={r.id}>
            <td>{r.memberNumber}</td>
            <td>{r.memberName}</td>
            <td>{reservationStatusLabel[r.status]}</td>
            <td>{r.spot ?? ''}</td>
            <td>{r.checkedInAt ? clock(r.checkedInAt, tz) : ''}</td>
            <td>{desk && r.status === 'booked' && <CancelForMember booking={r} onDone={reload} />}</td>
          </tr>
        ))}
      </Table>
      {roster.data && active.length === 0 && <p className="muted">Nobody is booked yet.</p>}
      {gone.length > 0 && <p className="muted small">Cancelled: {gone.map((r) => `${r.memberName} (${reservationStatusLabel[r.status]})`).join(', ')}</p>}

      <h3>Waitlist</h3>
      {roster.data?.waitlist.length ? (
        <Table head={['Position', 'No.', 'Member', 'Status']}>
          {roster.data.waitlist.map((w) => (
            <tr key={w.id}>
              <td>{w.position ?? ''}</td>
              <td>{w.memberNumber}</td>
              <td>{w.memberName}</td>
              <td>{w.status === 'offered' && w.offerExpiresAt ? `Offered until ${dateAndClock(w.offerExpiresAt, tz)}` : w.status}</td>
            </tr>
          ))}
        </Table>
      ) : (
        <p className="muted">Nobody is waiting.</p>
      )}
      {desk && <BookForMember key={version} lessonId={id} onDone={reload} />}
    </section>
  );
}

function BookForMember({ lessonId, onDone }: { lessonId: string; onDone: () => void }) {
  const [member, setMember] = useState<MemberSummary | null>(null);
  const [joinWaitlist, setJoinWaitlist] = useState(true);
  const { busy, error, send } = useWrite();
  async function book() {
    if (!member) return;
    const done = await send<BookingResult>(`book:${lessonId}:${member.id}:${joinWaitlist}`, 'POST', `/api/lessons/${lessonId}/reservations`, { memberId: member.id, joinWaitlist });
    if (done) onDone();
  }
  return (
    <>
      <h3>Book a member</h3>
      {member ? (
        <div className="actions">
          <span>{member.familyName} {member.givenName} (No. {member.memberNumber})</span>
          <button className="link" onClick={() => setMember(null)}>Change</button>
          <label className="check"><input type="checkbox" checked={joinWaitlist} onChange={(e) => setJoinWaitlist(e.target.checked)} /> Waitlist if full</label>
          <button disabled={busy} onClick={() => void book()}>Book</button>
        </div>
      ) : (
        <MemberPicker label="Find a member to book" onPick={setMember} />
      )}
      <Alert text={error} />
    </>
  );
}

function CancelForMember({ booking, onDone }: { booking: Booking; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [waivePenalty, setWaive] = useState(false);
  const { busy, error, send } = useWrite();
  if (!open) return <button className="secondary" onClick={() => setOpen(true)}>Cancel…</button>;
  async function cancel() {
    const done = await send<CancelResult>(`cancel:${booking.id}:${waivePenalty}`, 'POST', `/api/reservations/${booking.id}/cancel`, { waivePenalty });
    if (done) onDone();
  }
  return (
    <div className="confirm" role="group" aria-label={`Cancel for ${booking.memberName}`}>
      <label className="check"><input type="checkbox" checked={waivePenalty} onChange={(e) => setWaive(e.target.checked)} /> Waive penalty</label>
      <button disabled={busy} onClick={() => void cancel()}>Cancel booking</button>
      <button className="secondary" onClick={() => setOpen(false)}>Keep</button>
      <Alert text={error} />
    </div>
  );
}
