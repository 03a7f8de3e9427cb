import { useEffect, useRef, useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api } from '../api/client';
import { useFormat } from '../format';
import { Select, Table } from '../ui';
import { PageTitle } from '../ui/page';
import { EmptyState, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { Glance, useCheckInSentence, type ScanResult, type Who } from './desk/Glance';
import './desk/desk.css';
import { MemberPicker } from './Members';

const DESK_KEY = 'studiohive.deskLocation';

/**
 * The front desk: scan (or paste) a member's code, or find them by hand; see them at a glance and check them in;
 * today's check-ins at this location beside it (on a tablet or a desk) or below it (on a phone).
 */
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
  const toast = useToast();
  const sentence = useCheckInSentence();
  const [token, setToken] = useState('');
  const [who, setWho] = useState<Who | null>(null);
  const [result, setResult] = useState<ScanResult | null>(null);
  // A new key empties the search once a member is picked, so its matches do not sit above their card.
  const [searches, setSearches] = useState(0);
  // The scan field has the focus (after the page's heading took it), so a scanner can type into it at once, and
  // again after each check-in, ready for the next member.
  const scanField = useRef<HTMLInputElement>(null);
  useEffect(() => scanField.current?.focus(), []);

  function look(next: Who) {
    setResult(null);
    setWho(next);
  }

  function scan(e: FormEvent) {
    e.preventDefault();
    if (token.trim()) look({ token: token.trim() });
    setToken('');
  }

  function clear() {
    setWho(null);
    scanField.current?.focus();
  }

  function done(r: ScanResult) {
    setResult(r);
    const { id, values } = sentence(r, r.alreadyCheckedIn);
    toast(String(intl.formatMessage({ id }, { ...values, b: (chunks: string[]) => chunks.join('') })));
    clear();
  }

  const shown = result && sentence(result, result.alreadyCheckedIn);
  return (
    <div className="desk">
      <div className="desk-main">
        <form className="inline" aria-label={intl.formatMessage({ id: 'frontdesk.scan.label' })} onSubmit={scan}>
          <label>
            <FormattedMessage id="frontdesk.scan.code" />
            <input ref={scanField} value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
          </label>
          <button type="submit"><FormattedMessage id="frontdesk.scan.submit" /></button>
        </form>
        <h2><FormattedMessage id="frontdesk.byHand" /></h2>
        <MemberPicker
          key={searches}
          label={intl.formatMessage({ id: 'frontdesk.find' })}
          onPick={(m) => {
            setSearches((n) => n + 1);
            look({ memberId: m.id });
          }}
        />
        {result && shown && (
          <div className={`desk-result ${result.alreadyCheckedIn ? 'already' : 'done'}`}>
            <p><FormattedMessage id={shown.id} values={{ ...shown.values, b: (chunks) => <strong>{chunks}</strong> }} /></p>
            {result.notice && <p className="muted">{result.notice}</p>}
          </div>
        )}
        {who && <Glance key={JSON.stringify(who)} who={who} locationId={locationId} onDone={done} onClear={clear} />}
      </div>
      <section className="desk-list" aria-labelledby="desk-today">
        <h2 id="desk-today"><FormattedMessage id="frontdesk.today" /></h2>
        <CheckIns locationId={locationId} />
      </section>
    </div>
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
                <td className="desk-time">{format.clock(c.checkedInAt)}</td>
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
