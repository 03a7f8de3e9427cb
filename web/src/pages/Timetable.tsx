import { useState } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { Link } from 'react-router';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { addDays, mondayOf, useFormat } from '../format';
import { useStaffMe } from '../staff/StaffApp';
import { Input, Select } from '../ui';
import { DateField } from '../ui/date-field';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

/** A lesson as GET /api/lessons lists it (GET /api/lessons/{lessonId} answers the same, with its seat map). */
type LessonItem = ResponseOf<'/api/lessons', 'get'>['items'][number];

/** A lesson as the timetable shows it. */
export interface TimetableLesson {
  id: string;
  seriesId: string | null;
  startsAt: string;
  endsAt: string;
  typeName: string;
  colour: string;
  room: string;
  location: string;
  /** Who teaches it: the substitute when there is one. */
  instructor: string | null;
  substitute: boolean;
  capacity: number;
  booked: number;
  waiting: number;
  cancelled: boolean;
}

/** The one place that reads a lesson of GET /api/lessons (or /api/lessons/{lessonId}) as the timetable shows it. */
export function toTimetableLesson(r: LessonItem): TimetableLesson {
  return {
    id: r.id,
    seriesId: r.seriesId,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    typeName: r.lessonType.name,
    colour: r.lessonType.colour,
    room: r.room.name,
    location: r.location.name,
    // A substitute teaches this lesson instead of the regular instructor.
    instructor: r.substitute ? r.substitute.displayName : (r.instructor?.displayName ?? null),
    substitute: r.substitute !== null,
    capacity: r.capacity,
    booked: r.booked + r.held,
    waiting: r.waiting,
    cancelled: r.status === 'cancelled',
  };
}

/** Who teaches a lesson, "(substitute)" added when it is not the regular instructor. */
export function teacherOf(intl: IntlShape, l: TimetableLesson): string | null {
  if (!l.instructor) return null;
  return l.substitute ? intl.formatMessage({ id: 'schedule.substitute' }, { name: l.instructor }) : l.instructor;
}

type View = 'week' | 'day';
type Group = 'none' | 'room' | 'instructor';
/** A lesson dropped on another day, waiting for the manager to confirm the move. */
type Move = { lesson: TimetableLesson; date: string; time: string };

/**
 * The studio's week (a column per day) or one day, optionally grouped by room or instructor; a lesson opens its
 * page. Managers drag a lesson onto another day to move it, confirmed in a dialog; the lesson page's "Change this
 * lesson only" form is the keyboard way to do the same.
 */
export function Timetable() {
  const intl = useIntl();
  const format = useFormat();
  const me = useStaffMe();
  const manages = me.role === 'owner' || me.role === 'manager';
  const today = () => format.dayOf(new Date());
  const [view, setView] = useState<View>('week');
  const [group, setGroup] = useState<Group>('none');
  const [anchor, setAnchor] = useState(today);
  const [locationId, setLocationId] = useState('');
  const [move, setMove] = useState<Move | null>(null);
  const [seriesId, setSeriesId] = useState('');
  const series = $api.useQuery('get', '/api/lesson-series');
  const types = $api.useQuery('get', '/api/lesson-types');
  const typeName = new Map((types.data?.items ?? []).map((x) => [x.id, x.name]));
  const weekday = (d: number) => intl.formatMessage({ id: 'schedule.series.weekday' }, { d: String(d) });
  const first = view === 'week' ? mondayOf(anchor) : anchor;
  const days = view === 'week' ? Array.from({ length: 7 }, (_, i) => addDays(first, i)) : [anchor];
  const step = view === 'week' ? 7 : 1;
  const locations = $api.useQuery('get', '/api/locations');
  const lessons = $api.useQuery('get', '/api/lessons', {
    params: { query: { from: first, to: days.at(-1)!, includeCancelled: 'true', ...(locationId ? { locationId } : {}) } },
  });
  const title = intl.formatMessage({ id: 'schedule.timetable.title' });
  const t = (id: string) => intl.formatMessage({ id: `schedule.timetable.${id}` });
  const groupOf = (l: TimetableLesson) => (group === 'room' ? l.room : group === 'instructor' ? (l.instructor ?? t('noInstructor')) : '');
  return (
    <>
      <PageTitle
        title={title}
        actions={
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setAnchor(addDays(anchor, -step))}>{t(view === 'week' ? 'previousWeek' : 'previousDay')}</button>
            <button type="button" className="secondary" onClick={() => setAnchor(today())}>{t(view === 'week' ? 'thisWeek' : 'today')}</button>
            <button type="button" className="secondary" onClick={() => setAnchor(addDays(anchor, step))}>{t(view === 'week' ? 'nextWeek' : 'nextDay')}</button>
            {manages && <Link to="/lessons/new">{t('newLesson')}</Link>}
          </div>
        }
      >
        {title}
      </PageTitle>
      <div className="actions">
        <Select label={t('view')} value={view} onChange={setView} options={[['week', t('viewWeek')], ['day', t('viewDay')]]} />
        <Select label={t('groupBy')} value={group} onChange={setGroup} options={[['none', t('groupNone')], ['room', t('groupRoom')], ['instructor', t('groupInstructor')]]} />
        <Select
          label={t('location')}
          value={locationId}
          onChange={setLocationId}
          options={[['', t('allLocations')], ...(locations.data?.items ?? []).map((l): [string, string] => [l.id, l.name])]}
        />
        <Select
          label={t('series')}
          value={seriesId}
          onChange={setSeriesId}
          options={[
            ['', t('allSeries')],
            ...(series.data?.items ?? []).map((x): [string, string] => [x.id, `${typeName.get(x.lessonTypeId) ?? ''} ${x.weekdays.map(weekday).join('')} ${x.startTime}`]),
          ]}
        />
      </div>
      <ProblemAlert error={locations.error ?? series.error} />
      <QueryView query={lessons} rows={6}>
        {(data) => {
          const items = data.items.map(toTimetableLesson).filter((l) => !seriesId || l.seriesId === seriesId).sort((a, b) => a.startsAt.localeCompare(b.startsAt));
          return (
            <>
              {items.length === 0 && <EmptyState><FormattedMessage id="schedule.timetable.empty" /></EmptyState>}
              <div className={view === 'week' ? 'week' : undefined}>
                {days.map((d) => {
                  const ofDay = items.filter((l) => format.dayOf(l.startsAt) === d);
                  const groups = [...new Set(ofDay.map(groupOf))].sort();
                  return (
                    <div
                      key={d}
                      onDragOver={manages ? (e) => e.preventDefault() : undefined}
                      onDrop={manages ? (e) => {
                        e.preventDefault();
                        const lesson = items.find((l) => l.id === e.dataTransfer.getData('text/plain'));
                        if (lesson && format.dayOf(lesson.startsAt) !== d) setMove({ lesson, date: d, time: format.clock(lesson.startsAt) });
                      } : undefined}
                    >
                      <h2>{format.day(d)}</h2>
                      {groups.map((g) => (
                        <div key={g}>
                          {g && <h3 className="small">{g}</h3>}
                          {ofDay.filter((l) => groupOf(l) === g).map((l) => <Slot key={l.id} lesson={l} draggable={manages && !l.cancelled} />)}
                        </div>
                      ))}
                    </div>
                  );
                })}
              </div>
            </>
          );
        }}
      </QueryView>
      {move && <MoveDialog move={move} onClose={() => setMove(null)} />}
    </>
  );
}

/** Confirms a dragged lesson's new day (and lets the time be set) before it is moved: its members are told. */
function MoveDialog({ move, onClose }: { move: Move; onClose: () => void }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const [date, setDate] = useState(move.date);
  const [time, setTime] = useState(move.time);
  const t = (id: string) => intl.formatMessage({ id: `schedule.move.${id}` });
  async function confirm() {
    const done = await action.run(`move:${move.lesson.id}:${date}:${time}`, (key) =>
      api.PATCH('/api/lessons/{lessonId}', { params: { path: { lessonId: move.lesson.id } }, body: { date, startTime: time }, headers: { 'idempotency-key': key } }),
    );
    if (!done) return;
    toast(t('done'));
    onClose();
  }
  return (
    <ModalOverlay className="modal-overlay" isDismissable={!action.busy} isOpen onOpenChange={(open) => !open && onClose()}>
      <Modal className="modal">
        <Dialog role="alertdialog" className="confirm" aria-label={t('title')}>
          <Heading slot="title">{t('title')}</Heading>
          <p>{intl.formatMessage({ id: 'schedule.move.text' }, { lesson: move.lesson.typeName })}</p>
          <DateField label={t('date')} value={date} onChange={setDate} isRequired />
          <Input label={t('time')} type="time" value={time} onChange={setTime} required />
          <ProblemAlert error={action.error} />
          <div className="actions">
            <button type="button" disabled={action.busy} onClick={() => void confirm()}>{t('confirm')}</button>
            <button type="button" className="secondary" disabled={action.busy} autoFocus onClick={onClose}><FormattedMessage id="ui.action.notNow" /></button>
          </div>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

/** One lesson in its day's column: a link to its page, dragged by managers to move it. */
function Slot({ lesson: l, draggable }: { lesson: TimetableLesson; draggable: boolean }) {
  const intl = useIntl();
  const format = useFormat();
  return (
    <Link
      to={`/lessons/${l.id}`}
      className={l.cancelled ? 'slot cancelled' : 'slot'}
      style={{ borderLeftColor: l.colour }}
      draggable={draggable}
      onDragStart={draggable ? (e) => e.dataTransfer.setData('text/plain', l.id) : undefined}
    >
      <strong>{format.clock(l.startsAt)}</strong> {l.typeName}
      {l.cancelled && <> <FormattedMessage id="schedule.timetable.cancelled" /></>}
      <div className="muted">{[teacherOf(intl, l), l.room].filter(Boolean).join(' · ')}</div>
      <div>
        <FormattedMessage id="schedule.timetable.seats" values={{ booked: l.booked, capacity: l.capacity, waiting: l.waiting }} />
      </div>
    </Link>
  );
}
