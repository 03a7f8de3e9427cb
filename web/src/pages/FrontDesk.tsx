import { useReducer, useState, type FormEvent } from 'react';
import type { CheckInList, Location, MemberSummary, ScanResult, Tenant } from '../api';
import { clock } from '../time';
import { Alert, Select, Table, useApi, useWrite } from '../ui';
import { MemberPicker } from './Members';

const DESK_KEY = 'studiohive.deskLocation';

/** The front desk: scan (or paste) a member's code, or find them by hand; today's check-ins at this location. */
export function FrontDesk({ tenant }: { tenant: Tenant }) {
  const [locationId, setLocation] = useState(() => localStorage.getItem(DESK_KEY) ?? '');
  const [version, reload] = useReducer((n: number) => n + 1, 0);
  const locations = useApi<{ items: Location[] }>('/api/locations');
  const checkIns = useApi<CheckInList>(locationId ? `/api/check-ins?locationId=${locationId}` : null, version);
  const [token, setToken] = useState('');
  const [member, setMember] = useState<MemberSummary | null>(null);
  const [result, setResult] = useState<ScanResult | null>(null);
  const { busy, error, send } = useWrite();
  const tz = tenant.timezone;

  function pickLocation(id: string) {
    localStorage.setItem(DESK_KEY, id);
    setLocation(id);
  }

  async function checkIn(by: { token: string } | { memberId: string }) {
    const what = 'token' in by ? by.token : by.memberId;
    const done = await send<ScanResult>(`check-in:${locationId}:${what}`, 'POST', '/api/check-ins', { ...by, locationId });
    if (!done) return;
    setResult(done.value);
    setToken('');
    setMember(null);
    reload();
  }

  function scan(e: FormEvent) {
    e.preventDefault();
    if (token.trim()) void checkIn({ token: token.trim() });
  }

  const open = (locations.data?.items ?? []).filter((l) => !l.archived);
  return (
    <section>
      <h2>Front desk</h2>
      <Select label="Desk location" value={locationId} placeholder="Choose a location" onChange={pickLocation} options={open.map((l): [string, string] => [l.id, l.name])} />
      {locationId && (
        <>
          <form className="inline" aria-label="Scan a code" onSubmit={scan}>
            <label>
              Scanned or pasted code
              <input autoFocus value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
            </label>
            <button type="submit" disabled={busy}>Check in</button>
          </form>
          <h4>Or by hand</h4>
          {member ? (
            <div className="actions">
              <span>{member.familyName} {member.givenName} (No. {member.memberNumber})</span>
              <button disabled={busy} onClick={() => void checkIn({ memberId: member.id })}>Check in {member.familyName}</button>
              <button className="secondary" onClick={() => setMember(null)}>Clear</button>
            </div>
          ) : (
            <MemberPicker label="Find a member to check in" onPick={setMember} />
          )}
          <Alert text={error} />
          {result && (
            <div role="status" className="preview">
              <strong>{result.member.familyName} {result.member.givenName}</strong>{' '}
              {result.alreadyCheckedIn ? 'was already checked in' : 'checked in'}
              {result.lesson ? ` for ${result.lesson.name} at ${clock(result.lesson.startsAt, tz)}` : ' (walk-in)'}
              {result.notice && <p className="error">{result.notice}</p>}
            </div>
          )}
          <h3>Today’s check-ins</h3>
          <Alert text={checkIns.error} />
          <Table head={['Time', 'Member', 'Lesson', 'How']}>
            {(checkIns.data?.items ?? []).map((c) => (
              <tr key={c.id}>
                <td>{clock(c.checkedInAt, tz)}</td>
                <td>{c.member.familyName} {c.member.givenName} (No. {c.member.memberNumber})</td>
                <td>{c.lesson ? `${c.lesson.name} ${clock(c.lesson.startsAt, tz)}` : 'Walk-in'}</td>
                <td>{c.method === 'qr' ? 'Code' : 'By hand'}</td>
              </tr>
            ))}
          </Table>
          {checkIns.data?.items.length === 0 && <p className="muted">No check-ins yet today.</p>}
        </>
      )}
    </section>
  );
}
