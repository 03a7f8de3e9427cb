import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams } from 'react-router';
import { $api } from '../api/client';
import { useFormat } from '../format';
import { Facts } from '../ui';
import { PageTitle } from '../ui/page';
import { QueryView } from '../ui/states';
import { CancelBooking } from './CancelBooking';

/** One booking: when and where, what became of it, Cancel while it stands, and Add to calendar. */
export function BookingScreen() {
  const intl = useIntl();
  const fmt = useFormat();
  const { reservationId = '' } = useParams();
  const booking = $api.useQuery('get', '/api/me/reservations/{reservationId}', { params: { path: { reservationId } } });
  const t = (id: string) => intl.formatMessage({ id: `member.booking.${id}` });
  return (
    <section>
      <QueryView query={booking} rows={4}>
        {(r) => (
          <>
            <PageTitle title={r.lesson.lessonTypeName}>{r.lesson.lessonTypeName}</PageTitle>
            <Facts
              rows={[
                [t('when'), intl.formatMessage({ id: 'member.bookings.when' }, { start: fmt.dayAndTime(r.lesson.startsAt), end: fmt.clock(r.lesson.endsAt) })],
                [t('where'), intl.formatMessage({ id: 'member.schedule.place' }, { room: r.lesson.roomName, location: r.lesson.locationName })],
                [t('status'), intl.formatMessage({ id: r.lesson.status === 'cancelled' ? 'member.schedule.lessonCancelled' : `reservationStatus.${r.status}` })],
                ...(r.spot ? [[t('spot'), String(r.spot)] as [string, string]] : []),
                [t('bookedAt'), fmt.dayAndTime(r.createdAt)],
              ]}
            />
            {r.cancelDeadline && (
              <>
                <div className="actions">
                  <CancelBooking booking={{ reservationId: r.id, cancelDeadline: r.cancelDeadline, lesson: r.lesson.lessonTypeName, startsAt: r.lesson.startsAt }} />
                </div>
                <p>
                  {/* A plain link: a phone opens the .ics file in its calendar app, with the session's cookie. */}
                  <a href={`/api/me/reservations/${r.id}/calendar`}><FormattedMessage id="member.booking.addToCalendar" /></a>
                </p>
              </>
            )}
            <p><Link to="/member/bookings"><FormattedMessage id="member.booking.back" /></Link></p>
          </>
        )}
      </QueryView>
    </section>
  );
}
