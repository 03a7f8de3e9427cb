import { useEffect, useRef, useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, useApiAction } from '../api/client';
import type { BodyOf, ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { Select, Table } from '../ui';
import { PageTitle } from '../ui/page';
import { EmptyState, fieldErrors, ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { MemberPicker } from './Members';

const DESK_KEY = 'studiohive.deskLocation';

type ScanResult = ResponseOf<'/api/check-ins', 'post'>;
/** A member found with the picker: what the desk needs of them. */
type Picked = { id: string; memberNumber: number; familyName: string; givenName: string };

/** The front desk: scan (or paste) a member's code, or find them by hand; today's check-ins at this location. */
export function FrontDesk() {
  const intl = useIntl();
  const [locationId, setLocation] = useState(() => localStorage.getItem(DESK_KEY) ?? '');
  const locations = $api.useQuery('get', '/api/locations');

  function pickLocation(id: string) {
    localStorage.setItem(DESK_KEY, id);
    setLocation(id);
  }

  const title = intl.formatMessage({ id: 'frontdesk.title' });
  return (
    <>
      <PageTitle title={title}>{title}</PageTitle>
      <QueryView query={locations} rows={1}>
        {(data) => {
          const open = data.items.filter((l) => !l.archived);
          if (open.length === 0) return <EmptyState><FormattedMessage id="frontdesk.noLocations" /></EmptyState>;
          return (
            <Select
              label={intl.formatMessage({ id: 'frontdesk.location' })}
              value={locationId}
              placeholder={intl.formatMessage({ id: 'frontdesk.chooseLocation' })}
              onChange={pickLocation}
              options={open.map((l): [string, string] => [l.id, l.name])}
            />
          );
        }}
      </QueryView>
      {locationId && <Desk locationId={locationId} />}
    </>
  );
}

function Desk({ locationId }: { locationId: string }) {
  const intl = useIntl();
  const format = useFormat();

  /** The sentence that says who was checked in, for what: its id and values (the name in <b>). */
  function resultMessage(r: ScanResult) {
    const id = `frontdesk.result.${r.alreadyCheckedIn ? 'already' : 'checkedIn'}${r.lesson ? 'ForLesson' : 'WalkIn'}`;
    const values = { name: `${r.member.familyName} ${r.member.givenName}`, lesson: r.lesson?.name ?? '', time: r.lesson ? format.clock(r.lesson.startsAt) : '' };
    return { id, values };
  }
  const toast = useToast();
  const [token, setToken] = useState('');
  const [member, setMember] = useState<Picked | null>(null);
  const [result, setResult] = useState<ScanResult | null>(null);
  const action = useApiAction();
  // The scan field has the focus (after the page's heading took it), so a scanner can type into it at once.
  const scanField = useRef<HTMLInputElement>(null);
  useEffect(() => scanField.current?.focus(), []);
  const tokenError = fieldErrors(action.error).token;

  async function checkIn(by: { token: string } | { memberId: string }) {
    const what = 'token' in by ? by.token : by.memberId;
    const body: BodyOf<'/api/check-ins', 'post'> = { ...by, locationId };
    const done = await action.run(`check-in:${locationId}:${what}`, (key) => api.POST('/api/check-ins', { body, headers: { 'idempotency-key': key } }));
    if (!done) return;
    setResult(done);
    setToken('');
    setMember(null);
    const { id, values } = resultMessage(done);
    toast(String(intl.formatMessage({ id }, { ...values, b: (chunks: string[]) => chunks.join('') })));
  }

  function scan(e: FormEvent) {
    e.preventDefault();
    if (token.trim()) void checkIn({ token: token.trim() });
  }

  const shown = result && resultMessage(result);
  return (
    <>
      <form className="inline" aria-label={intl.formatMessage({ id: 'frontdesk.scan.label' })} onSubmit={scan}>
        <label>
          <FormattedMessage id="frontdesk.scan.code" />
          <input
            ref={scanField}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoComplete="off"
            aria-invalid={tokenError ? true : undefined}
            aria-describedby={tokenError ? 'scan-token-error' : undefined}
          />
        </label>
        {tokenError && <span id="scan-token-error" className="error small">{tokenError}</span>}
        <button type="submit" disabled={action.busy}><FormattedMessage id="frontdesk.scan.submit" /></button>
      </form>
      <h2><FormattedMessage id="frontdesk.byHand" /></h2>
      {member ? (
        <div className="actions">
          <span>
            <FormattedMessage id="frontdesk.member" values={{ name: `${member.familyName} ${member.givenName}`, number: member.memberNumber }} />
          </span>
          <button type="button" disabled={action.busy} onClick={() => void checkIn({ memberId: member.id })}>
            <FormattedMessage id="frontdesk.checkInMember" values={{ familyName: member.familyName }} />
          </button>
          <button type="button" className="secondary" onClick={() => setMember(null)}><FormattedMessage id="frontdesk.clear" /></button>
        </div>
      ) : (
        <MemberPicker label={intl.formatMessage({ id: 'frontdesk.find' })} onPick={setMember} />
      )}
      <ProblemAlert error={tokenError ? null : action.error} />
      {result && shown && (
        <div className="preview">
          <FormattedMessage id={shown.id} values={{ ...shown.values, b: (chunks) => <strong>{chunks}</strong> }} />
          {result.notice && <p role="alert" className="error">{result.notice}</p>}
        </div>
      )}
      <h2><FormattedMessage id="frontdesk.today" /></h2>
      <CheckIns locationId={locationId} />
    </>
  );
}

function CheckIns({ locationId }: { locationId: string }) {
  const intl = useIntl();
  const format = useFormat();
  const checkIns = $api.useQuery('get', '/api/check-ins', { params: { query: { locationId } } });
  return (
    <QueryView query={checkIns}>
      {(data) =>
        data.items.length === 0 ? (
          <EmptyState><FormattedMessage id="frontdesk.todayEmpty" /></EmptyState>
        ) : (
          <Table head={['time', 'member', 'lesson', 'how'].map((h) => intl.formatMessage({ id: `frontdesk.head.${h}` }))}>
            {data.items.map((c) => (
              <tr key={c.id}>
                <td>{format.clock(c.checkedInAt)}</td>
                <td>
                  <FormattedMessage id="frontdesk.member" values={{ name: `${c.member.familyName} ${c.member.givenName}`, number: c.member.memberNumber }} />
                </td>
                <td>
                  {c.lesson ? (
                    <FormattedMessage id="frontdesk.lesson" values={{ name: c.lesson.name, time: format.clock(c.lesson.startsAt) }} />
                  ) : (
                    <FormattedMessage id="frontdesk.walkIn" />
                  )}
                </td>
                <td><FormattedMessage id={c.method === 'qr' ? 'frontdesk.method.qr' : 'frontdesk.method.manual'} /></td>
              </tr>
            ))}
          </Table>
        )
      }
    </QueryView>
  );
}
