import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { $api, api, useApiAction } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { Table } from '../ui';
import { EmptyState, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

type Reservations = ResponseOf<'/api/members/{memberId}/reservations', 'get'>;
type Penalties = ResponseOf<'/api/members/{memberId}/penalties', 'get'>;

/** A member's reservations, coming or past; a lesson opens its page. */
export function ReservationsSection({ memberId }: { memberId: string }) {
  const intl = useIntl();
  const format = useFormat();
  const [scope, setScope] = useState<'upcoming' | 'past'>('upcoming');
  const list = $api.useQuery('get', '/api/members/{memberId}/reservations', { params: { path: { memberId }, query: { scope } } });
  const t = (id: string) => intl.formatMessage({ id: `members.reservations.${id}` });
  return (
    <>
      <div className="row">
        <h2><FormattedMessage id="members.reservations.title" /></h2>
        <div className="actions">
          {(['upcoming', 'past'] as const).map((s) => (
            <button key={s} type="button" className={scope === s ? '' : 'secondary'} aria-pressed={scope === s} onClick={() => setScope(s)}>
              <FormattedMessage id={`members.reservations.${s}`} />
            </button>
          ))}
        </div>
      </div>
      <QueryView query={list}>
        {({ items }: Reservations) =>
          items.length === 0 ? (
            <EmptyState><FormattedMessage id={`members.reservations.none.${scope}`} /></EmptyState>
          ) : (
            <Table head={[t('when'), t('lesson'), t('where'), t('status')]}>
              {items.map((r) => {
                const status = r.lesson.status === 'cancelled' ? t('lessonCancelled') : intl.formatMessage({ id: `reservationStatus.${r.status}` });
                return (
                  <tr key={r.id}>
                    <td><Link to={`/lessons/${r.lessonId}`}>{format.dayAndTime(r.lesson.startsAt)}</Link></td>
                    <td>{r.lesson.lessonTypeName}</td>
                    <td><FormattedMessage id="members.reservations.place" values={{ room: r.lesson.roomName, location: r.lesson.locationName }} /></td>
                    <td>
                      {r.checkedInAt ? (
                        <FormattedMessage id="members.reservations.checkedIn" values={{ status, time: format.clock(r.checkedInAt) }} />
                      ) : (
                        status
                      )}
                    </td>
                  </tr>
                );
              })}
            </Table>
          )
        }
      </QueryView>
    </>
  );
}

/** Late-cancellation and no-show penalties, and a booking block; managers waive them and lift the block. */
export function PenaltiesSection({ memberId, currency, canManage }: { memberId: string; currency: string; canManage: boolean }) {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const penalties = $api.useQuery('get', '/api/members/{memberId}/penalties', { params: { path: { memberId } } });
  const action = useApiAction();
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id: `members.penalties.${id}` }, values);

  async function lift() {
    const done = await action.run(`lift:${memberId}`, (key) =>
      api.POST('/api/members/{memberId}/booking-blocks/lift', { params: { path: { memberId } }, headers: { 'idempotency-key': key } }),
    );
    if (done !== null) toast(t('lifted'));
  }
  async function waive(penaltyId: string) {
    const done = await action.run(`waive:${penaltyId}`, (key) =>
      api.POST('/api/members/{memberId}/penalty-waivers', { params: { path: { memberId } }, body: { penaltyId }, headers: { 'idempotency-key': key } }),
    );
    if (done !== null) toast(t('waived'));
  }

  return (
    <>
      <h2><FormattedMessage id="members.penalties.title" /></h2>
      <ProblemAlert error={action.error} />
      <QueryView query={penalties}>
        {(p: Penalties) => (
          <>
            {p.blockedUntil && (
              <p className="actions">
                <span className="badge status-cancelled">{t('blockedUntil', { when: format.dayAndTime(p.blockedUntil) })}</span>
                {canManage && (
                  <button type="button" className="secondary" disabled={action.busy} onClick={() => void lift()}>
                    <FormattedMessage id="members.penalties.lift" />
                  </button>
                )}
              </p>
            )}
            {p.items.length === 0 ? (
              <EmptyState><FormattedMessage id="members.penalties.none" /></EmptyState>
            ) : (
              <Table head={[t('when'), t('reason'), t('penalty'), '']}>
                {p.items.map((x) => (
                  <tr key={x.id}>
                    <td>{format.dayAndTime(x.createdAt)}</td>
                    <td><FormattedMessage id={`members.penalties.reason.${x.reason}`} /></td>
                    <td>
                      <FormattedMessage
                        id={`members.penalties.kind.${x.kind}`}
                        values={{ amount: format.money(x.amount, currency), billed: x.billed ? 'yes' : 'no' }}
                      />
                    </td>
                    <td>
                      {x.waived ? (
                        <span className="muted"><FormattedMessage id="members.penalties.isWaived" /></span>
                      ) : (
                        canManage && (
                          <button type="button" className="secondary" disabled={action.busy} onClick={() => void waive(x.id)}>
                            <FormattedMessage id="members.penalties.waive" />
                          </button>
                        )
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            )}
          </>
        )}
      </QueryView>
    </>
  );
}
