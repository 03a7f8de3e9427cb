import { useState } from 'react';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { Link } from 'react-router';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { addDays, mondayOf, useFormat } from '../format';
import { Select } from '../ui';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';

/** A lesson as GET /api/lessons lists it (GET /api/lessons/{lessonId} answers the same, with its seat map). */
type LessonItem = ResponseOf<'/api/lessons', 'get'>['items'][number];

/** A lesson as the timetable shows it. */
export interface TimetableLesson {
  id: string;
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

/** The studio's week, a column per day; a lesson opens its page (roster, waitlist, bookings). */
export function Timetable() {
  const intl = useIntl();
  const format = useFormat();
  const thisMonday = () => mondayOf(format.dayOf(new Date()));
  const [monday, setMonday] = useState(thisMonday);
  const [locationId, setLocationId] = useState('');
  const locations = $api.useQuery('get', '/api/locations');
  const lessons = $api.useQuery('get', '/api/lessons', {
    params: { query: { from: monday, to: addDays(monday, 6), ...(locationId ? { locationId } : {}) } },
  });
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  const title = intl.formatMessage({ id: 'schedule.timetable.title' });
  return (
    <>
      <PageTitle
        title={title}
        actions={
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setMonday(addDays(monday, -7))}><FormattedMessage id="schedule.timetable.previousWeek" /></button>
            <button type="button" className="secondary" onClick={() => setMonday(thisMonday())}><FormattedMessage id="schedule.timetable.thisWeek" /></button>
            <button type="button" className="secondary" onClick={() => setMonday(addDays(monday, 7))}><FormattedMessage id="schedule.timetable.nextWeek" /></button>
          </div>
        }
      >
        {title}
      </PageTitle>
      <Select
        label={intl.formatMessage({ id: 'schedule.timetable.location' })}
        value={locationId}
        onChange={setLocationId}
        options={[['', intl.formatMessage({ id: 'schedule.timetable.allLocations' })], ...(locations.data?.items ?? []).map((l): [string, string] => [l.id, l.name])]}
      />
      <ProblemAlert error={locations.error} />
      <QueryView query={lessons} rows={6}>
        {(data) => {
          const items = data.items.map(toTimetableLesson);
          return (
            <>
              {items.length === 0 && (
                <EmptyState><FormattedMessage id="schedule.timetable.empty" /></EmptyState>
              )}
              <div className="week">
                {days.map((d) => (
                  <div key={d}>
                    <h2>{format.day(d)}</h2>
                    {items
                      .filter((l) => format.dayOf(l.startsAt) === d)
                      .sort((a, b) => a.startsAt.localeCompare(b.startsAt))
                      .map((l) => (
                        <Slot key={l.id} lesson={l} />
                      ))}
                  </div>
                ))}
              </div>
            </>
          );
        }}
      </QueryView>
    </>
  );
}

/** One lesson in its day's column: a link to its page. */
function Slot({ lesson: l }: { lesson: TimetableLesson }) {
  const intl = useIntl();
  const format = useFormat();
  return (
    <Link to={`/lessons/${l.id}`} className={l.cancelled ? 'slot cancelled' : 'slot'} style={{ borderLeftColor: l.colour }}>
      <strong>{format.clock(l.startsAt)}</strong> {l.typeName}
      {l.cancelled && <> <FormattedMessage id="schedule.timetable.cancelled" /></>}
      <div className="muted">{[teacherOf(intl, l), l.room].filter(Boolean).join(' · ')}</div>
      <div>
        <FormattedMessage id="schedule.timetable.seats" values={{ booked: l.booked, capacity: l.capacity, waiting: l.waiting }} />
      </div>
    </Link>
  );
}
