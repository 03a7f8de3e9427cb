import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { api, useApiAction } from '../api/client';
import { useFormat } from '../format';
import { ProblemAlert } from '../ui/states';
import { useToast } from '../ui/toast';

/**
 * A booked seat's Cancel, on the timetable and in My bookings: asked again first, with the late-cancel warning
 * once the lesson type's deadline has passed (the credit is then kept by the studio).
 */
export function CancelBooking({ booking, children }: {
  booking: { reservationId: string; cancelDeadline: string; lesson: string; startsAt: string };
  /** What shows beside Cancel while not asking: the booked badge. */
  children?: React.ReactNode;
}) {
  const intl = useIntl();
  const fmt = useFormat();
  const toast = useToast();
  const action = useApiAction();
  const [confirming, setConfirming] = useState(false);
  const late = Date.now() > Date.parse(booking.cancelDeadline);
  const deadline = fmt.dayAndTime(booking.cancelDeadline);
  const cancel = async () => {
    const done = await action.run(`cancel:${booking.reservationId}`, (key) =>
      api.POST('/api/me/reservations/{reservationId}/cancel', { params: { path: { reservationId: booking.reservationId } }, headers: { 'idempotency-key': key } }),
    );
    if (!done) return;
    setConfirming(false);
    const about = { lesson: booking.lesson, when: fmt.dayAndTime(booking.startsAt) };
    toast(intl.formatMessage({ id: done.creditRefunded ? 'member.schedule.toastCancelled' : 'member.schedule.toastCancelledKept' }, about));
  };
  return (
    <>
      {confirming ? (
        <div className="confirm" role="group" aria-label={intl.formatMessage({ id: 'member.schedule.cancelQuestion' })}>
          {late ? (
            <p className="error"><FormattedMessage id="member.schedule.cancelLate" values={{ deadline }} /></p>
          ) : (
            <p><FormattedMessage id="member.schedule.cancelFree" /></p>
          )}
          <button type="button" disabled={action.busy} onClick={() => void cancel()}><FormattedMessage id="member.schedule.cancelConfirm" /></button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}><FormattedMessage id="member.schedule.cancelKeep" /></button>
        </div>
      ) : (
        <>
          {children}
          <button type="button" className="secondary" onClick={() => setConfirming(true)}><FormattedMessage id="member.schedule.cancel" /></button>
          <span className="muted small">
            {late ? <FormattedMessage id="member.schedule.cancellingIsLate" /> : <FormattedMessage id="member.schedule.freeCancellationUntil" values={{ deadline }} />}
          </span>
        </>
      )}
      <ProblemAlert error={action.error} />
    </>
  );
}
