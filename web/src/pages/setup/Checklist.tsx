import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { $api } from '../../api/client';
import { addDays, useFormat } from '../../format';

/**
 * Whether the studio has any lesson to book: a weekly series, or a lesson in the coming two months (the widest
 * range the timetable is read in). Undefined until both answers are in.
 */
export function useHasLessons(enabled = true): boolean | undefined {
  const f = useFormat();
  const today = f.dayOf(new Date());
  const series = $api.useQuery('get', '/api/lesson-series', {}, { enabled });
  const lessons = $api.useQuery('get', '/api/lessons', { params: { query: { from: today, to: addDays(today, 61) } } }, { enabled });
  if (!series.data || !lessons.data) return undefined;
  return series.data.items.length > 0 || lessons.data.items.length > 0;
}

/**
 * From an empty studio to a bookable timetable, step by step; each step is ticked from what the studio has. The
 * booking rules start as sensible defaults, so that step is ready from the start and only asks to be read.
 */
export function Checklist() {
  const intl = useIntl();
  const locations = $api.useQuery('get', '/api/locations');
  const rooms = $api.useQuery('get', '/api/rooms');
  const instructors = $api.useQuery('get', '/api/instructors');
  const types = $api.useQuery('get', '/api/lesson-types');
  const settings = $api.useQuery('get', '/api/settings/booking');
  const lessons = useHasLessons();
  const steps: Array<[string, string, boolean | undefined]> = [
    ['location', '/setup/locations', locations.data && locations.data.items.length > 0],
    ['room', '/setup/rooms', rooms.data && rooms.data.items.length > 0],
    ['instructor', '/setup/instructors', instructors.data && instructors.data.items.length > 0],
    ['lessonType', '/setup/lesson-types', types.data && types.data.items.length > 0],
    ['bookingRules', '/setup/booking', settings.data ? true : undefined],
    ['lessons', '/lessons/new', lessons],
  ];
  const done = steps.filter(([, , d]) => d).length;
  const list = (
    <ol>
      {steps.map(([step, to, isDone]) => (
        <li key={step}>
          <span className={isDone ? 'badge status-active' : 'badge'}>
            {intl.formatMessage({ id: isDone === undefined ? 'common.loading' : isDone ? 'setup.checklist.done' : 'setup.checklist.todo' })}
          </span>
          {' '}
          <Link to={to}><FormattedMessage id={`setup.checklist.${step}`} /></Link>
        </li>
      ))}
    </ol>
  );
  return (
    <section className="checklist" aria-labelledby="setup-checklist">
      <h2 id="setup-checklist"><FormattedMessage id="setup.checklist.title" /></h2>
      <p className="muted"><FormattedMessage id="setup.checklist.progress" values={{ done, total: steps.length }} /></p>
      {done === steps.length ? (
        // Once the studio is ready the list stays at hand without pushing the set-up pages down.
        <details>
          <summary><FormattedMessage id="setup.checklist.show" /></summary>
          {list}
        </details>
      ) : (
        list
      )}
    </section>
  );
}

/** On the members' landing page of a studio with no lesson yet: where to start. */
export function SetupBanner() {
  const hasLessons = useHasLessons();
  if (hasLessons !== false) return null;
  return (
    <div className="banner" role="note">
      <p>
        <FormattedMessage id="setup.banner.text" />{' '}
        <Link to="/setup"><FormattedMessage id="setup.banner.link" /></Link>
      </p>
    </div>
  );
}
