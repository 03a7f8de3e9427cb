import { useReducer, useState } from 'react';
import { reservationStatusLabel, type Penalties, type ReservationList, type Tenant } from '../api';
import { navigate } from '../App';
import { clock, dateAndClock } from '../time';
import { Alert, Table, useApi, useWrite } from '../ui';

/** A member's reservations, coming or past; a lesson opens its page. */
export function ReservationsSection({ memberId, tenant }: { memberId: string; tenant: Tenant }) {
  const [scope, setScope] = useState<'upcoming' | 'past'>('upcoming');
  const list = useApi<ReservationList>(`/api/members/${memberId}/reservations?scope=${scope}`);
  const tz = tenant.timezone;
  return (
    <>
      <div className="row">
        <h3>Reservations</h3>
        <div className="actions">
          <button className={scope === 'upcoming' ? '' : 'secondary'} onClick={() => setScope('upcoming')}>Upcoming</button>
          <button className={scope === 'past' ? '' : 'secondary'} onClick={() => setScope('past')}>Past</button>
        </div>
      </div>
      <Alert text={list.error} />
      {list.data?.items.length === 0 ? (
        <p className="muted">{scope === 'upcoming' ? 'No upcoming reservations.' : 'No past reservations.'}</p>
      ) : (
        <Table head={['When', 'Lesson', 'Where', 'Status']}>
          {(list.data?.items ?? []).map((r) => (
            <tr key={r.id} className="clickable" onClick={() => navigate(`/lessons/${r.lessonId}`)}>
              <td>{dateAndClock(r.lesson.startsAt, tz)}</td>
              <td>{r.lesson.lessonTypeName}</td>
              <td>{r.lesson.roomName} · {r.lesson.locationName}</td>
              <td>{r.lesson.status === 'cancelled' ? 'Lesson cancelled' : reservationStatusLabel[r.status]}{r.checkedInAt ? ` · in at ${clock(r.checkedInAt, tz)}` : ''}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

const reasonLabel = { late_cancel: 'Late cancellation', no_show: 'No-show' } as const;
const kindLabel = { lose_credit: 'Credit kept', fee: 'Fee', strike: 'Strike' } as const;

/** Late-cancellation and no-show penalties, and a booking block; managers waive them and lift the block. */
export function PenaltiesSection({ memberId, tenant, canManage }: { memberId: string; tenant: Tenant; canManage: boolean }) {
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const penalties = useApi<Penalties>(`/api/members/${memberId}/penalties`, version);
  const { busy, error, send } = useWrite();
  const act = (action: string, path: string, body?: object) => async () => {
    if (await send<Penalties>(action, 'POST', path, body)) reload();
  };
  const p = penalties.data;
  return (
    <>
      <h3>Penalties</h3>
      <Alert text={penalties.error ?? error} />
      {p?.blockedUntil && (
        <p className="actions">
          <span className="badge status-cancelled">Booking blocked until {dateAndClock(p.blockedUntil, tenant.timezone)}</span>
          {canManage && <button className="secondary" disabled={busy} onClick={act(`lift:${memberId}`, `/api/members/${memberId}/booking-blocks/lift`)}>Lift the block</button>}
        </p>
      )}
      {p?.items.length === 0 ? (
        <p className="muted">No penalties.</p>
      ) : (
        <Table head={['When', 'Reason', 'Penalty', '']}>
          {(p?.items ?? []).map((x) => (
            <tr key={x.id}>
              <td>{dateAndClock(x.createdAt, tenant.timezone)}</td>
              <td>{reasonLabel[x.reason]}</td>
              <td>{kindLabel[x.kind]}{x.kind === 'fee' ? ` ${x.amount}` : ''}{x.billed ? ' · billed' : ''}</td>
              <td>
                {x.waived ? (
                  <span className="muted">Waived</span>
                ) : (
                  canManage && <button className="secondary" disabled={busy} onClick={act(`waive:${x.id}`, `/api/members/${memberId}/penalty-waivers`, { penaltyId: x.id })}>Waive</button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
