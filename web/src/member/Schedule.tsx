import { keepPreviousData, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useId, useRef, useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { addDays, useFormat } from '../format';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { useActing } from './acting';
import { CancelBooking } from './CancelBooking';

const SpotPicker = lazy(() => import('./SpotPicker'));

type ScheduleLesson = ResponseOf<'/api/me/schedule', 'get'>['lessons'][number];

/**
 * A week at a time, a tab per day, paged forward as far as bookings can be made, and narrowed by location, lesson
 * and instructor; each lesson has the one thing the member can do about it now.
 */
export function Schedule() {
  const intl = useIntl();
  const { memberId } = useActing();
  const [filters, setFilters] = useState<Filter>({});
  const schedule = $api.useQuery('get', '/api/me/schedule', { params: { query: { days: 7, memberId, ...filters } } }, { placeholderData: keepPreviousData });
  useRefreshAt(schedule.data ? nextMoment(schedule.data) : null, schedule.data?.serverTime ?? null, schedule.dataUpdatedAt);
  const title = intl.formatMessage({ id: 'member.schedule.title' });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <QueryView query={schedule} rows={4}>
        {(data) => (
          <>
            <Filters data={data} filters={filters} onChange={setFilters} />
            <Week key={data.from} data={data} />
          </>
        )}
      </QueryView>
    </section>
  );
}

const HOUR = 3600_000;

/** The next moment a lesson's state changes by the clock alone: a waiting room opening, an opening, a turn. */
function nextMoment(data: ResponseOf<'/api/me/schedule', 'get'>): string | null {
  const moments = data.lessons.flatMap(({ me }) =>
    me.state === 'queued' ? [me.checkAt] : me.state === 'queue' && !me.opened ? [me.opensAt] : me.state === 'opens' && me.queueOpensAt ? [me.queueOpensAt] : [],
  );
  return moments.length === 0 ? null : moments.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

/**
 * Reads the timetable again at the next moment the server named (a waiting room's opening, the opening, a turn):
 * the moment is known in advance, so a queue's phones wait for it instead of asking over and over. It is timed
 * by the server's clock (the phone's own may be off), with up to a second and a half of spread so a queue's
 * phones do not all ask in the same instant; a moment already past waits two seconds between reads, and one
 * more than an hour away is looked at again in an hour.
 */
function useRefreshAt(at: string | null, serverTime: string | null, receivedAt: number) {
  const client = useQueryClient();
  // Counts the reads this hook asked for: a read that finds the moment unchanged asks again.
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    if (!at) return;
    const offset = serverTime ? Date.parse(serverTime) - receivedAt : 0;
    const due = Date.parse(at) - (Date.now() + offset);
    const timer = setTimeout(() => {
      void client.invalidateQueries({ queryKey: ['get', '/api/me/schedule'] }, { cancelRefetch: false });
      setAsked((n) => n + 1);
    }, Math.min(due > 0 ? due : 2000, HOUR) + Math.random() * 1500);
    return () => clearTimeout(timer);
  }, [at, serverTime, receivedAt, client, asked]);
}

type Filter = { from?: string; locationId?: string; lessonTypeId?: string; instructorId?: string };

/** Earlier and later weeks (from today to the furthest bookable day), and the three filters the API takes. */
function Filters({ data, filters, onChange }: { data: ResponseOf<'/api/me/schedule', 'get'>; filters: Filter; onChange: (f: Filter) => void }) {
  const intl = useIntl();
  const fmt = useFormat();
  const t = (id: string) => intl.formatMessage({ id: `member.schedule.${id}` });
  const id = useId();
  const today = fmt.dayOf(new Date().toISOString());
  const earlier = addDays(data.from, -7);
  const later = addDays(data.from, 7);
  const set = (key: keyof Filter) => (value: string | undefined) => onChange({ ...filters, [key]: value || undefined });
  const pick = (key: 'locationId' | 'lessonTypeId' | 'instructorId', label: string, options: Array<{ id: string; name: string }>) =>
    options.length > 1 && (
      // Labelled by its own element, so its name is the label alone (a select inside a label adds its choice).
      <div className="filter">
        <label htmlFor={`${id}-${key}`}>{label}</label>
        <select id={`${id}-${key}`} value={filters[key] ?? ''} onChange={(e) => set(key)(e.target.value)}>
          <option value="">{t('filter.all')}</option>
          {options.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
        </select>
      </div>
    );
  return (
    <div className="schedule-filters">
      <div className="actions week-nav">
        <button type="button" className="secondary" disabled={data.from <= today} onClick={() => set('from')(earlier <= today ? undefined : earlier)}>
          {t('earlierWeek')}
        </button>
        <span className="small">
          <FormattedMessage id="member.schedule.weekOf" values={{ from: fmt.day(data.from), to: fmt.day(addDays(data.from, data.days - 1)) }} />
        </span>
        <button type="button" className="secondary" disabled={later > data.lastBookableDay} onClick={() => set('from')(later)}>
          {t('laterWeek')}
        </button>
      </div>
      <div className="filters">
        {pick('locationId', t('filter.location'), data.choices.locations)}
        {pick('lessonTypeId', t('filter.lessonType'), data.choices.lessonTypes)}
        {pick('instructorId', t('filter.instructor'), data.choices.instructors)}
      </div>
    </div>
  );
}

function Week({ data: { from, days, lessons } }: { data: ResponseOf<'/api/me/schedule', 'get'> }) {
  const intl = useIntl();
  const fmt = useFormat();
  const [picked, setPicked] = useState<string | null>(null);
  const dates = Array.from({ length: days }, (_, i) => addDays(from, i));
  const day = picked !== null && dates.includes(picked) ? picked : from;
  const todays = lessons.filter((l) => fmt.dayOf(l.startsAt) === day);
  return (
    <>
      <div className="days" role="tablist" aria-label={intl.formatMessage({ id: 'member.schedule.days' })}>
        {dates.map((d) => (
          <button key={d} type="button" role="tab" aria-selected={d === day} className={d === day ? 'tab active' : 'tab'} onClick={() => setPicked(d)}>
            {fmt.day(d)}
          </button>
        ))}
      </div>
      {todays.length === 0 && (
        <EmptyState>
          <FormattedMessage id="member.schedule.noLessons" /> <FormattedMessage id="member.schedule.noLessonsNext" />
        </EmptyState>
      )}
      {todays.map((l) => <LessonCard key={l.id} lesson={l} />)}
    </>
  );
}

function LessonCard({ lesson: l }: { lesson: ScheduleLesson }) {
  const intl = useIntl();
  const fmt = useFormat();
  const name = intl.formatMessage({ id: 'member.schedule.lessonLabel' }, { name: l.lessonType.name, time: fmt.clock(l.startsAt) });
  return (
    <article className="lesson" aria-label={name} style={{ borderLeftColor: l.lessonType.colour }}>
      <div className="row">
        <strong><FormattedMessage id="member.schedule.timeRange" values={{ start: fmt.clock(l.startsAt), end: fmt.clock(l.endsAt) }} /></strong>
        <span className="muted small"><FormattedMessage id="member.schedule.place" values={{ room: l.room.name, location: l.location.name }} /></span>
      </div>
      <div className="row">
        <span>{l.lessonType.name}</span>
        {l.series && <FavouriteButton series={l.series} lessonName={l.lessonType.name} />}
      </div>
      <div className="muted small">
        {l.instructor ? (
          <>
            {l.instructor.name}
            {l.instructor.substitute && <> <span className="badge sub"><FormattedMessage id="member.schedule.substitute" /></span></>}
          </>
        ) : (
          <FormattedMessage id="member.schedule.instructorTba" />
        )}
      </div>
      {l.status === 'scheduled' && (
        <div className="small">
          {l.seatsLeft > 0 ? (
            <FormattedMessage id="member.schedule.seatsLeft" values={{ count: l.seatsLeft }} />
          ) : (
            <FormattedMessage id="member.schedule.full" values={{ waiting: l.waitlistCount }} />
          )}
        </div>
      )}
      <LessonAction lesson={l} />
    </article>
  );
}

/**
 * A star that follows the lesson's weekly series: the member is then told ten minutes before booking each of its
 * lessons opens. A toggle button, so a screen reader hears whether it is on.
 */
function FavouriteButton({ series, lessonName }: { series: { id: string; favourite: boolean }; lessonName: string }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const { memberId } = useActing();
  const toggle = async () => {
    const params = { path: { seriesId: series.id }, query: { memberId } };
    const done = await action.run(`favourite:${series.id}:${!series.favourite}`, () =>
      series.favourite ? api.DELETE('/api/me/favourites/{seriesId}', { params }) : api.PUT('/api/me/favourites/{seriesId}', { params }),
    );
    if (done) toast(intl.formatMessage({ id: done.favourite ? 'kinds.favourite.added' : 'kinds.favourite.removed' }, { lesson: lessonName }));
  };
  return (
    <>
      <button
        type="button"
        className="secondary small"
        aria-pressed={series.favourite}
        aria-label={intl.formatMessage({ id: 'kinds.favourite.label' }, { lesson: lessonName })}
        disabled={action.busy}
        onClick={() => void toggle()}
      >
        <span aria-hidden="true">{series.favourite ? '★' : '☆'}</span> <FormattedMessage id="kinds.favourite.text" />
      </button>
      <ProblemAlert error={action.error} />
    </>
  );
}

/** The action of a lesson's state, with the API's words when it refuses. */
function LessonAction({ lesson: l }: { lesson: ScheduleLesson }) {
  const intl = useIntl();
  const fmt = useFormat();
  const toast = useToast();
  const action = useApiAction();
  const me = l.me;
  const { memberId } = useActing();
  // Said aloud when the turn comes: the queue's words leave the card and the Book button takes their place.
  const wasQueued = useRef(false);
  const turnCame = wasQueued.current && me.state !== 'queued';
  useEffect(() => {
    if (me.state === 'queued') wasQueued.current = true;
  }, [me.state]);
  const busy = action.busy;
  const about = { lesson: l.lessonType.name, when: fmt.dayAndTime(l.startsAt) };
  const say = (id: string) => toast(intl.formatMessage({ id }, about));

  const book = (joinWaitlist: boolean, spot?: number) => async () => {
    const done = await action.run(`book:${l.id}:${spot ?? ''}`, (key) =>
      api.POST('/api/me/reservations', { body: { lessonId: l.id, joinWaitlist, memberId, spot }, headers: { 'idempotency-key': key } }),
    );
    if (done) say(done.outcome === 'waitlisted' ? 'member.schedule.toastWaitlisted' : 'member.schedule.toastBooked');
  };
  const leave = (entryId: string, toastId: string) => async () => {
    const done = await action.run(`leave:${entryId}`, (key) =>
      api.POST('/api/me/waitlist/{entryId}/leave', { params: { path: { entryId } }, headers: { 'idempotency-key': key } }),
    );
    if (done) say(toastId);
  };
  const accept = (entryId: string) => async () => {
    const done = await action.run(`accept:${entryId}`, (key) =>
      api.POST('/api/me/waitlist/{entryId}/accept', { params: { path: { entryId } }, headers: { 'idempotency-key': key } }),
    );
    if (done) say('member.schedule.toastAccepted');
  };
  const queue = async () => {
    const done = await action.run(`queue:${l.id}`, (key) =>
      api.POST('/api/me/waiting-room', { body: { lessonId: l.id, memberId }, headers: { 'idempotency-key': key } }),
    );
    if (done) say(done.state === 'queued' ? 'member.schedule.toastQueued' : 'member.schedule.toastAdmitted');
  };
  let content;
  switch (me.state) {
    case 'bookable':
      content = l.room.seatMap ? (
        // The seat map loads with its first use: the timetable's own load stays within the member app's budget.
        <Suspense fallback={<button type="button" disabled><FormattedMessage id="member.schedule.book" /></button>}>
          <SpotPicker lessonId={l.id} busy={busy} onBook={(spot) => void book(false, spot)()} />
        </Suspense>
      ) : (
        <button type="button" disabled={busy} onClick={book(false)}><FormattedMessage id="member.schedule.book" /></button>
      );
      break;
    case 'full':
      content = <button type="button" disabled={busy} onClick={book(true)}><FormattedMessage id="member.schedule.joinWaitlist" /></button>;
      break;
    case 'opens':
      content = (
        <span className="muted">
          {me.queueOpensAt ? (
            <FormattedMessage
              id="member.schedule.opensWithQueue"
              values={{ when: fmt.dayAndTime(me.opensAt), queueFrom: fmt.dayOf(me.queueOpensAt) === fmt.dayOf(me.opensAt) ? fmt.clock(me.queueOpensAt) : fmt.dayAndTime(me.queueOpensAt) }}
            />
          ) : (
            <FormattedMessage id="member.schedule.opens" values={{ when: fmt.dayAndTime(me.opensAt) }} />
          )}
        </span>
      );
      break;
    case 'queue':
      content = (
        <>
          <span className="small">
            {me.opened ? (
              <FormattedMessage id="member.schedule.queueAfter" />
            ) : (
              <FormattedMessage id="member.schedule.queueBefore" values={{ when: fmt.clock(me.opensAt) }} />
            )}
          </span>
          <button type="button" disabled={busy} onClick={() => void queue()}><FormattedMessage id="member.schedule.joinQueue" /></button>
        </>
      );
      break;
    case 'queued':
      content = (
        // Read out when it changes: the place is drawn, then the turn comes, while the member waits on this screen.
        <span role="status">
          {me.position === null ? (
            <FormattedMessage id="member.schedule.queuedDraw" values={{ time: fmt.clock(me.drawAt) }} />
          ) : (
            <>
              <span className="badge"><FormattedMessage id="member.schedule.queuedPlace" values={{ position: me.position }} /></span>{' '}
              {me.turnAt && <FormattedMessage id="member.schedule.queuedTurn" values={{ time: fmt.clockSeconds(me.turnAt) }} />}
            </>
          )}
        </span>
      );
      break;
    case 'waitlisted':
      content = (
        <>
          <span className="badge"><FormattedMessage id="member.schedule.waitlistPosition" values={{ position: me.position }} /></span>
          <button type="button" className="secondary" disabled={busy} onClick={leave(me.waitlistEntryId, 'member.schedule.toastLeft')}>
            <FormattedMessage id="member.schedule.leaveWaitlist" />
          </button>
        </>
      );
      break;
    case 'offered':
      content = (
        <>
          <span><FormattedMessage id="member.schedule.offer" values={{ until: fmt.dayAndTime(me.offerExpiresAt) }} /></span>
          <button type="button" disabled={busy} onClick={accept(me.waitlistEntryId)}><FormattedMessage id="member.schedule.acceptOffer" /></button>
          <button type="button" className="secondary" disabled={busy} onClick={leave(me.waitlistEntryId, 'member.schedule.toastDeclined')}>
            <FormattedMessage id="member.schedule.declineOffer" />
          </button>
        </>
      );
      break;
    case 'booked':
      content = (
        <CancelBooking booking={{ reservationId: me.reservationId, cancelDeadline: me.cancelDeadline, lesson: l.lessonType.name, startsAt: l.startsAt }}>
          <span className="badge status-active">
            {me.spot ? <FormattedMessage id="member.schedule.bookedSpot" values={{ spot: me.spot }} /> : <FormattedMessage id="member.schedule.booked" />}
          </span>
        </CancelBooking>
      );
      break;
    case 'closed':
      content = <span className="muted"><FormattedMessage id="member.schedule.closed" /></span>;
      break;
    case 'cancelled':
      content = <span className="badge status-cancelled"><FormattedMessage id="member.schedule.lessonCancelled" /></span>;
      break;
  }
  return (
    <>
      <div className="actions">{content}</div>
      <span className="visually-hidden" role="status">
        {turnCame && me.state === 'bookable' ? intl.formatMessage({ id: 'member.schedule.turnCame' }, about) : ''}
      </span>
      <ProblemAlert error={action.error} />
    </>
  );
}
