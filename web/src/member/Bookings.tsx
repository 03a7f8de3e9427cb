import { useState, type ReactNode } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { PageTitle } from '../ui/page';
import { EmptyState, QueryView } from '../ui/states';

const toTimetable = (chunks: ReactNode[]) => <Link to="/member">{chunks}</Link>;

/** The member's bookings (coming or past) and the waitlists they are on. Cancelling is on the timetable. */
export function Bookings() {
  const intl = useIntl();
  const [scope, setScope] = useState<'upcoming' | 'past'>('upcoming');
  const reservations = $api.useQuery('get', '/api/me/reservations', { params: { query: { scope } } });
  const title = intl.formatMessage({ id: 'member.bookings.title' });
  return (
    <section>
      <PageTitle title={title}>{title}</PageTitle>
      <div className="actions">
        <button type="button" aria-pressed={scope === 'upcoming'} className={scope === 'upcoming' ? '' : 'secondary'} onClick={() => setScope('upcoming')}>
          <FormattedMessage id="member.bookings.upcoming" />
        </button>
        <button type="button" aria-pressed={scope === 'past'} className={scope === 'past' ? '' : 'secondary'} onClick={() => setScope('past')}>
          <FormattedMessage id="member.bookings.past" />
        </button>
      </div>
      <QueryView query={reservations}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState>
              {scope === 'upcoming' ? (
                <>
                  <FormattedMessage id="member.bookings.noneUpcoming" /> <FormattedMessage id="member.bookings.noneUpcomingNext" values={{ link: toTimetable }} />
                </>
              ) : (
                <FormattedMessage id="member.bookings.nonePast" />
              )}
            </EmptyState>
          ) : (
            <BookingList items={data.items} />
          )
        }
      </QueryView>
      {scope === 'upcoming' && <Waitlists />}
    </section>
  );
}

type Reservation = ResponseOf<'/api/me/reservations', 'get'>['items'][number];

function BookingList({ items }: { items: Reservation[] }) {
  const intl = useIntl();
  const fmt = useFormat();
  return (
    <ul className="list" aria-label={intl.formatMessage({ id: 'member.bookings.listLabel' })}>
      {items.map((r) => (
        <li key={r.id} style={{ borderLeftColor: r.lesson.colour }}>
          <strong>
            <FormattedMessage id="member.bookings.when" values={{ start: fmt.dayAndTime(r.lesson.startsAt), end: fmt.clock(r.lesson.endsAt) }} />
          </strong>{' '}
          {r.lesson.lessonTypeName}
          <div className="muted small">
            <FormattedMessage
              id="member.bookings.details"
              values={{
                room: r.lesson.roomName,
                location: r.lesson.locationName,
                status: intl.formatMessage({ id: r.lesson.status === 'cancelled' ? 'member.schedule.lessonCancelled' : `reservationStatus.${r.status}` }),
              }}
            />
          </div>
        </li>
      ))}
    </ul>
  );
}

/** The waitlists the member is waiting on (or has been offered a seat from). */
function Waitlists() {
  const intl = useIntl();
  const fmt = useFormat();
  const waitlist = $api.useQuery('get', '/api/me/waitlist');
  return (
    <QueryView query={waitlist} rows={1}>
      {(data) => {
        const waiting = data.items.filter((w) => w.status === 'waiting' || w.status === 'offered');
        if (waiting.length === 0) return null;
        return (
          <>
            <h2><FormattedMessage id="member.bookings.waitlists" /></h2>
            <ul className="list" aria-label={intl.formatMessage({ id: 'member.bookings.waitlists' })}>
              {waiting.map((w) => (
                <li key={w.id}>
                  <strong>{fmt.dayAndTime(w.lesson.startsAt)}</strong> {w.lesson.lessonTypeName}
                  <div className="muted small">
                    {w.status === 'offered' && w.offerExpiresAt ? (
                      <FormattedMessage id="member.bookings.offered" values={{ until: fmt.dayAndTime(w.offerExpiresAt) }} />
                    ) : (
                      <FormattedMessage id="member.bookings.position" values={{ position: w.position }} />
                    )}
                  </div>
                </li>
              ))}
            </ul>
          </>
        );
      }}
    </QueryView>
  );
}
