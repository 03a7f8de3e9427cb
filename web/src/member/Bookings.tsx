import { useRef, useState, type ReactNode } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useSearchParams } from 'react-router';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { PageTitle } from '../ui/page';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { useActing } from './acting';
import { CancelBooking } from './CancelBooking';

const toTimetable = (chunks: ReactNode[]) => <Link to="/member">{chunks}</Link>;

/** The member's bookings (those that stand, each with Cancel; or the history) and the waitlists they are on. */
export function Bookings() {
  const intl = useIntl();
  const [scope, setScope] = useState<'upcoming' | 'past'>('upcoming');
  const { memberId } = useActing();
  const reservations = $api.useQuery('get', '/api/me/reservations', { params: { query: { scope, memberId } } });
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
          <Link to={`/member/bookings/${r.id}`}>{r.lesson.lessonTypeName}</Link>
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
          {r.status === 'booked' && r.cancelDeadline && (
            <div className="actions">
              <CancelBooking booking={{ reservationId: r.id, cancelDeadline: r.cancelDeadline, lesson: r.lesson.lessonTypeName, startsAt: r.lesson.startsAt }} />
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * The waitlists the member is waiting on (or has been offered a seat from), with Accept on an offer. Opened from an
 * offer's message (`?offer={entryId}`), the screen brings that offer into view with its Accept button focused, or
 * says the offer is over.
 */
function Waitlists() {
  const intl = useIntl();
  const fmt = useFormat();
  const toast = useToast();
  const action = useApiAction();
  const [params] = useSearchParams();
  const wanted = params.get('offer');
  const { memberId } = useActing();
  const waitlist = $api.useQuery('get', '/api/me/waitlist', { params: { query: { memberId } } });
  // The list holds open entries only: the linked one is asked for on its own, to say what became of it.
  const linked = $api.useQuery('get', '/api/me/waitlist/{entryId}', { params: { path: { entryId: wanted ?? '' } } }, { enabled: wanted !== null, retry: false });
  const linkedStatus = linked.data?.status;
  const accept = (w: { id: string; lesson: { startsAt: string; lessonTypeName: string } }) => async () => {
    const done = await action.run(`accept:${w.id}`, (key) =>
      api.POST('/api/me/waitlist/{entryId}/accept', { params: { path: { entryId: w.id } }, headers: { 'idempotency-key': key } }),
    );
    if (done) toast(intl.formatMessage({ id: 'member.schedule.toastAccepted' }, { lesson: w.lesson.lessonTypeName, when: fmt.dayAndTime(w.lesson.startsAt) }));
  };
  // Once, when the offer's button first appears: later renders leave the member's focus alone.
  const brought = useRef(false);
  const bringIntoView = (button: HTMLButtonElement | null) => {
    if (!button || brought.current) return;
    brought.current = true;
    button.scrollIntoView({ block: 'center' });
    button.focus();
  };
  return (
    <QueryView query={waitlist} rows={1}>
      {(data) => {
        const waiting = data.items.filter((w) => w.status === 'waiting' || w.status === 'offered');
        const over = wanted !== null && (linked.isError || (linkedStatus !== undefined && linkedStatus !== 'offered'));
        return (
          <>
            {over && (
              <p className="muted" role="status">
                {linkedStatus === 'promoted' ? <FormattedMessage id="kinds.bookings.offerTaken" /> : <FormattedMessage id="kinds.bookings.offerOver" />}
              </p>
            )}
            {waiting.length > 0 && (
              <>
                <h2><FormattedMessage id="member.bookings.waitlists" /></h2>
                <ul className="list" aria-label={intl.formatMessage({ id: 'member.bookings.waitlists' })}>
                  {waiting.map((w) => {
                    const highlighted = w.id === wanted && w.status === 'offered';
                    return (
                      <li key={w.id} aria-current={highlighted ? 'true' : undefined} style={highlighted ? { outline: '2px solid var(--accent)', outlineOffset: '2px' } : undefined}>
                        <strong>{fmt.dayAndTime(w.lesson.startsAt)}</strong> {w.lesson.lessonTypeName}
                        <div className="muted small">
                          {w.status === 'offered' && w.offerExpiresAt ? (
                            <FormattedMessage id="kinds.bookings.offered" values={{ until: fmt.dayAndTime(w.offerExpiresAt) }} />
                          ) : (
                            <FormattedMessage id="member.bookings.position" values={{ position: w.position }} />
                          )}
                        </div>
                        {w.status === 'offered' && (
                          <div className="actions">
                            <button type="button" ref={highlighted ? bringIntoView : undefined} disabled={action.busy} onClick={accept(w)}>
                              <FormattedMessage id="member.schedule.acceptOffer" />
                            </button>
                          </div>
                        )}
                      </li>
                    );
                  })}
                </ul>
              </>
            )}
            <ProblemAlert error={action.error} />
          </>
        );
      }}
    </QueryView>
  );
}
