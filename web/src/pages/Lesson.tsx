import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams } from 'react-router';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { can, useStaffMe } from '../staff/StaffApp';
import { Table } from '../ui';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { MemberPicker } from './Members';
import { teacherOf, toTimetableLesson } from './Timetable';
import { BookingDetails, CancelLesson, LessonChanges, SeriesPanel } from './timetable/LessonActions';

type Roster = ResponseOf<'/api/lessons/{lessonId}/reservations', 'get'>;
type Booking = Roster['reservations'][number];
/** A member found with the picker: what this page needs of them. */
type Picked = { id: string; memberNumber: number; familyName: string; givenName: string };

const gone = new Set<Booking['status']>(['cancelled', 'late_cancelled', 'released']);

/** One lesson: who is booked (and checked in), who waits, and the desk's bookings and cancellations for members. */
export function Lesson() {
  const { lessonId = '' } = useParams();
  const intl = useIntl();
  const format = useFormat();
  const me = useStaffMe();
  const desk = can.sell(me.role);
  // The server lets owners and managers change the timetable; others see it.
  const manages = me.role === 'owner' || me.role === 'manager';
  const path = { params: { path: { lessonId } } };
  const lesson = $api.useQuery('get', '/api/lessons/{lessonId}', path);
  const roster = $api.useQuery('get', '/api/lessons/{lessonId}/reservations', path);
  const info = lesson.data ? toTimetableLesson(lesson.data) : null;
  const title = info
    ? intl.formatMessage({ id: 'schedule.lesson.title' }, { type: info.typeName, start: format.dayAndTime(info.startsAt), end: format.clock(info.endsAt) })
    : intl.formatMessage({ id: 'schedule.lesson.untitled' });
  return (
    <>
      <PageTitle title={title} actions={<Link to="/timetable"><FormattedMessage id="schedule.lesson.back" /></Link>}>
        {title}
      </PageTitle>
      <QueryView query={lesson} rows={1}>
        {() =>
          info && (
            <p className="muted">
              <FormattedMessage
                id="schedule.lesson.facts"
                values={{
                  place: [teacherOf(intl, info), info.room, info.location].filter(Boolean).join(' · '),
                  booked: info.booked,
                  capacity: info.capacity,
                  cancelled: info.cancelled ? 'yes' : 'no',
                }}
              />
            </p>
          )
        }
      </QueryView>
      {roster.data?.waitingRoom && <WaitingRoomLine room={roster.data.waitingRoom} />}
      <h2><FormattedMessage id="schedule.lesson.roster" /></h2>
      <QueryView query={roster}>
        {(data) => <RosterView roster={data} desk={desk} />}
      </QueryView>
      {desk && <BookForMember lessonId={lessonId} />}
      {manages && lesson.data && lesson.data.status === 'scheduled' && new Date(lesson.data.startsAt) > new Date() && (
        <>
          <LessonChanges key={lesson.data.startsAt + lesson.data.room.id + lesson.data.capacity + (lesson.data.substitute?.id ?? '')} lesson={lesson.data} />
          <CancelLesson lessonId={lessonId} />
        </>
      )}
      {manages && lesson.data?.seriesId && <SeriesPanel seriesId={lesson.data.seriesId} fromDate={lesson.data.occurrenceDate ?? format.dayOf(lesson.data.startsAt)} />}
    </>
  );
}

/** The queue for the lesson's opening, for the desk on a rush day: how many queued, how many let in so far. */
function WaitingRoomLine({ room }: { room: NonNullable<Roster['waitingRoom']> }) {
  const intl = useIntl();
  const format = useFormat();
  return (
    <p>
      <FormattedMessage
        id="schedule.lesson.waitingRoom"
        values={{ opensAt: format.dayAndTime(room.opensAt), queued: room.queued, letIn: room.letIn, order: intl.formatMessage({ id: `setup.waitingRoomOrder.${room.order}` }) }}
      />
    </p>
  );
}

function RosterView({ roster, desk }: { roster: Roster; desk: boolean }) {
  const intl = useIntl();
  const format = useFormat();
  const active = roster.reservations.filter((r) => !gone.has(r.status));
  const left = roster.reservations.filter((r) => gone.has(r.status));
  const status = (s: Booking['status']) => intl.formatMessage({ id: `reservationStatus.${s}` });
  const head = ['no', 'member', 'status', 'spot', 'checkedIn'].map((h) => intl.formatMessage({ id: `schedule.lesson.head.${h}` }));
  return (
    <>
      {active.length === 0 ? (
        <EmptyState>
          <FormattedMessage id="schedule.lesson.rosterEmpty" />
          {desk && <> <FormattedMessage id="schedule.lesson.rosterEmptyHint" /></>}
        </EmptyState>
      ) : (
        <Table head={[...head, '']}>
          {active.map((r) => (
            <tr key={r.id}>
              <td>{r.memberNumber}</td>
              <td>{r.memberName}</td>
              <td>{status(r.status)}</td>
              <td>{r.spot ?? ''}</td>
              <td>{r.checkedInAt ? format.clock(r.checkedInAt) : ''}</td>
              <td>
                <BookingDetails reservationId={r.id} />
                {desk && r.status === 'booked' && <CancelForMember booking={r} />}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {left.length > 0 && (
        <p className="muted small">
          <FormattedMessage
            id="schedule.lesson.cancelledList"
            values={{
              names: left
                .map((r) => intl.formatMessage({ id: 'schedule.lesson.cancelledItem' }, { name: r.memberName, status: status(r.status) }))
                .join(intl.formatMessage({ id: 'schedule.lesson.separator' })),
            }}
          />
        </p>
      )}

      <h2><FormattedMessage id="schedule.lesson.waitlist" /></h2>
      {roster.waitlist.length ? (
        <Table head={['position', 'no', 'member', 'status'].map((h) => intl.formatMessage({ id: `schedule.lesson.head.${h}` }))}>
          {roster.waitlist.map((w) => (
            <tr key={w.id}>
              <td>{w.position ?? ''}</td>
              <td>{w.memberNumber}</td>
              <td>{w.memberName}</td>
              <td>
                {w.status === 'offered' && w.offerExpiresAt ? (
                  <FormattedMessage id="schedule.lesson.offeredUntil" values={{ until: format.dayAndTime(w.offerExpiresAt) }} />
                ) : (
                  <FormattedMessage id={`schedule.waitlistStatus.${w.status}`} />
                )}
              </td>
            </tr>
          ))}
        </Table>
      ) : (
        <EmptyState><FormattedMessage id="schedule.lesson.waitlistEmpty" /></EmptyState>
      )}
    </>
  );
}

function BookForMember({ lessonId }: { lessonId: string }) {
  const intl = useIntl();
  const toast = useToast();
  const [member, setMember] = useState<Picked | null>(null);
  const [joinWaitlist, setJoinWaitlist] = useState(true);
  const action = useApiAction();
  async function book() {
    if (!member) return;
    const done = await action.run(`book:${lessonId}:${member.id}:${joinWaitlist}`, (key) =>
      api.POST('/api/lessons/{lessonId}/reservations', {
        params: { path: { lessonId } },
        body: { memberId: member.id, joinWaitlist },
        headers: { 'idempotency-key': key },
      }),
    );
    if (!done) return;
    const name = `${member.familyName} ${member.givenName}`;
    toast(intl.formatMessage({ id: done.outcome === 'waitlisted' ? 'schedule.book.waitlisted' : 'schedule.book.booked' }, { name }));
    setMember(null);
    setJoinWaitlist(true);
  }
  return (
    <>
      <h2><FormattedMessage id="schedule.book.title" /></h2>
      {member ? (
        <div className="actions">
          <span>
            <FormattedMessage id="schedule.book.member" values={{ name: `${member.familyName} ${member.givenName}`, number: member.memberNumber }} />
          </span>
          <button type="button" className="link" onClick={() => setMember(null)}><FormattedMessage id="schedule.book.change" /></button>
          <label className="check">
            <input type="checkbox" checked={joinWaitlist} onChange={(e) => setJoinWaitlist(e.target.checked)} /> <FormattedMessage id="schedule.book.waitlistIfFull" />
          </label>
          <button type="button" disabled={action.busy} onClick={() => void book()}><FormattedMessage id="schedule.book.submit" /></button>
        </div>
      ) : (
        <MemberPicker label={intl.formatMessage({ id: 'schedule.book.find' })} onPick={setMember} />
      )}
      <ProblemAlert error={action.error} />
    </>
  );
}

function CancelForMember({ booking }: { booking: Booking }) {
  const intl = useIntl();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [waivePenalty, setWaive] = useState(false);
  const action = useApiAction();
  if (!open) {
    return <button type="button" className="secondary" onClick={() => setOpen(true)}><FormattedMessage id="schedule.cancel.open" /></button>;
  }
  async function cancel() {
    const done = await action.run(`cancel:${booking.id}:${waivePenalty}`, (key) =>
      api.POST('/api/reservations/{reservationId}/cancel', {
        params: { path: { reservationId: booking.id } },
        body: { waivePenalty },
        headers: { 'idempotency-key': key },
      }),
    );
    if (done) toast(intl.formatMessage({ id: 'schedule.cancel.done' }, { name: booking.memberName }));
  }
  return (
    <div className="confirm" role="group" aria-label={intl.formatMessage({ id: 'schedule.cancel.label' }, { name: booking.memberName })}>
      <label className="check">
        <input type="checkbox" checked={waivePenalty} onChange={(e) => setWaive(e.target.checked)} /> <FormattedMessage id="schedule.cancel.waive" />
      </label>
      <button type="button" disabled={action.busy} onClick={() => void cancel()}><FormattedMessage id="schedule.cancel.submit" /></button>
      <button type="button" className="secondary" onClick={() => setOpen(false)}><FormattedMessage id="schedule.cancel.keep" /></button>
      <ProblemAlert error={action.error} />
    </div>
  );
}
