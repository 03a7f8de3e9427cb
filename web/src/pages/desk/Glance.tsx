import { FormattedMessage, useIntl } from 'react-intl';
import { $api } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useFormat } from '../../format';
import { Facts, StatusBadge } from '../../ui';
import { ActionFlow } from '../../ui/action-flow';
import { QueryView } from '../../ui/states';

export type ScanResult = ResponseOf<'/api/check-ins', 'post'>;
type Preview = ResponseOf<'/api/check-ins/preview', 'post'>;
type CheckIn = NonNullable<Preview['alreadyCheckedIn']>;
/** Who the desk is about to check in: a scanned code, or a member found by hand. */
export type Who = { token: string } | { memberId: string };

/** The sentence that says who was (or already was) checked in, for what: its id and values (the name in <b>). */
export function useCheckInSentence() {
  const format = useFormat();
  return (c: CheckIn, already: boolean) => ({
    id: `frontdesk.result.${already ? 'already' : 'checkedIn'}${c.lesson ? 'ForLesson' : 'WalkIn'}`,
    values: {
      name: `${c.member.familyName} ${c.member.givenName}`,
      lesson: c.lesson?.name ?? '',
      time: c.lesson ? format.clock(c.lesson.startsAt) : '',
      at: format.clock(c.checkedInAt),
    },
  });
}

/**
 * The member at a glance before the check-in (the server's preview of the same request): status, plan, credits,
 * today's lessons here, and any warnings, which the desk confirms before "Check in anyway".
 */
export function Glance({ who, locationId, onDone, onClear }: { who: Who; locationId: string; onDone: (r: ScanResult) => void; onClear: () => void }) {
  const intl = useIntl();
  const body = { ...who, locationId };
  const preview = $api.useQuery('post', '/api/check-ins/preview', { body }, { staleTime: 0 });
  return (
    <section className="desk-card" aria-label={intl.formatMessage({ id: 'frontdesk.glance.label' })}>
      <QueryView query={preview} rows={4}>
        {(p) => <Card preview={p} body={body} onDone={onDone} onClear={onClear} />}
      </QueryView>
      {preview.isError && (
        <button type="button" className="secondary" onClick={onClear}><FormattedMessage id="frontdesk.clear" /></button>
      )}
    </section>
  );
}

function Card({ preview: p, body, onDone, onClear }: { preview: Preview; body: Who & { locationId: string }; onDone: (r: ScanResult) => void; onClear: () => void }) {
  const intl = useIntl();
  const format = useFormat();
  const sentence = useCheckInSentence();
  const name = `${p.member.familyName} ${p.member.givenName}`;
  const lessonAt = (l: { name: string; startsAt: string }) => intl.formatMessage({ id: 'frontdesk.lesson' }, { name: l.name, time: format.clock(l.startsAt) });
  const warned = p.warnings.length > 0;
  const already = p.alreadyCheckedIn && sentence(p.alreadyCheckedIn, true);

  return (
    <>
      <h2 className="desk-name">
        <FormattedMessage id="frontdesk.member" values={{ name, number: p.member.memberNumber }} /> <StatusBadge status={p.member.status} />
      </h2>
      <Facts
        rows={[
          [
            intl.formatMessage({ id: 'frontdesk.glance.plan' }),
            p.contracts.length === 0 ? (
              <FormattedMessage id="frontdesk.glance.noContract" />
            ) : (
              p.contracts.map((c) => intl.formatMessage({ id: c.onLeave ? 'frontdesk.glance.planOnLeave' : 'frontdesk.glance.planRunning' }, { plan: c.planName })).join(intl.formatMessage({ id: 'frontdesk.glance.separator' }))
            ),
          ],
          [intl.formatMessage({ id: 'frontdesk.glance.credits' }), <FormattedMessage id="frontdesk.glance.creditCount" values={{ count: p.creditsAvailable }} />],
          [
            intl.formatMessage({ id: 'frontdesk.glance.today' }),
            p.bookingsToday.length === 0 ? (
              <FormattedMessage id="frontdesk.glance.noBookings" />
            ) : (
              <ul className="desk-bookings">
                {p.bookingsToday.map((b) => (
                  <li key={b.reservationId}>
                    {lessonAt(b)} <span className="badge"><FormattedMessage id={b.status === 'attended' ? 'frontdesk.glance.attended' : 'frontdesk.glance.booked'} /></span>
                  </li>
                ))}
              </ul>
            ),
          ],
          [intl.formatMessage({ id: 'frontdesk.glance.checkInFor' }), p.checkInFor ? lessonAt(p.checkInFor) : <FormattedMessage id="frontdesk.glance.walkInNow" />],
        ]}
      />
      {warned && !already && (
        <div className="desk-warning" role="alert">
          <h3><FormattedMessage id="frontdesk.warnings.heading" /></h3>
          <ul>
            {p.warnings.map((w) => <li key={w.code}>{w.message}</li>)}
          </ul>
        </div>
      )}
      {already ? (
        <p className="desk-result already" role="status">
          <FormattedMessage id={already.id} values={{ ...already.values, b: (chunks) => <strong>{chunks}</strong> }} />
        </p>
      ) : (
        <ActionFlow<ScanResult>
          label={intl.formatMessage({ id: 'frontdesk.checkInLabel' }, { name })}
          method="POST"
          path="/api/check-ins"
          body={warned ? { ...body, acknowledge: true } : body}
          confirmLabel={intl.formatMessage({ id: warned ? 'frontdesk.checkInAnyway' : 'frontdesk.checkIn' })}
          ask={warned ? { text: intl.formatMessage({ id: 'frontdesk.warnings.ask' }, { name }), confirmLabel: intl.formatMessage({ id: 'frontdesk.checkInAnyway' }) } : undefined}
          onDone={onDone}
          onClose={onClear}
        />
      )}
      {already && (
        <div className="actions">
          <button type="button" className="secondary" onClick={onClear}><FormattedMessage id="frontdesk.clear" /></button>
        </div>
      )}
    </>
  );
}
