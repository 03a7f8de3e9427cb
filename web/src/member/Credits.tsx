import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { EmptyState, QueryView } from '../ui/states';
import { useActing } from './acting';

type Overview = ResponseOf<'/api/me/credits', 'get'>;

/** How many credits the member can use today, until when each lot lasts, and what came and went (newest first). */
export function Credits() {
  const intl = useIntl();
  const { memberId } = useActing();
  const [pages, setPages] = useState<Array<string | undefined>>([undefined]);
  const first = $api.useQuery('get', '/api/me/credits', { params: { query: { memberId, limit: 10 } } });
  const title = intl.formatMessage({ id: 'members.credits.title' });
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      <QueryView query={first} rows={2}>
        {(data) => (
          <>
            <p><FormattedMessage id="members.credits.available" values={{ count: data.available, b: (chunks) => <strong>{chunks}</strong> }} /></p>
            <Lots lots={data.lots} />
            {data.ledger.length === 0 ? (
              <EmptyState><FormattedMessage id="members.credits.none" /></EmptyState>
            ) : (
              <ul className="list" aria-label={intl.formatMessage({ id: 'member.credits.history' })}>
                <Movements ledger={data.ledger} />
                {pages.slice(1).map((before) => <OlderMovements key={before} memberId={memberId} before={before!} />)}
              </ul>
            )}
            <MoreButton memberId={memberId} pages={pages} first={data} onMore={(cursor) => setPages([...pages, cursor])} />
          </>
        )}
      </QueryView>
    </section>
  );
}

function Lots({ lots }: { lots: Overview['lots'] }) {
  const fmt = useFormat();
  if (lots.length === 0) return null;
  return (
    <ul className="small">
      {lots.map((l) => (
        <li key={l.id}>
          {l.expiresOn ? (
            <FormattedMessage id="member.credits.lot" values={{ remaining: l.remaining, date: fmt.date(l.expiresOn) }} />
          ) : (
            <FormattedMessage id="member.credits.lotNoExpiry" values={{ remaining: l.remaining }} />
          )}
        </li>
      ))}
    </ul>
  );
}

function Movements({ ledger }: { ledger: Overview['ledger'] }) {
  const intl = useIntl();
  const fmt = useFormat();
  return (
    <>
      {ledger.map((m) => (
        <li key={m.id}>
          <strong>
            <FormattedMessage
              id="members.credits.movement"
              values={{ kind: intl.formatMessage({ id: `members.credits.kind.${m.kind}` }), amount: m.amount > 0 ? `+${m.amount}` : String(m.amount) }}
            />
          </strong>{' '}
          <span className="muted small">{fmt.dayAndTime(m.createdAt)}{m.reason ? ` · ${m.reason}` : ''}</span>
        </li>
      ))}
    </>
  );
}

function OlderMovements({ memberId, before }: { memberId: string | undefined; before: string }) {
  const older = $api.useQuery('get', '/api/me/credits', { params: { query: { memberId, limit: 10, before } } });
  return older.data ? <Movements ledger={older.data.ledger} /> : null;
}

/** "Older" pages on by the last page's cursor. */
function MoreButton({ memberId, pages, first, onMore }: { memberId: string | undefined; pages: Array<string | undefined>; first: Overview; onMore: (cursor: string) => void }) {
  const last = pages.at(-1);
  const lastPage = $api.useQuery('get', '/api/me/credits', { params: { query: { memberId, limit: 10, before: last } } }, { enabled: last !== undefined });
  const cursor = last === undefined ? first.nextCursor : lastPage.data?.nextCursor;
  if (!cursor) return null;
  return (
    <button type="button" className="secondary" onClick={() => onMore(cursor)}><FormattedMessage id="member.credits.older" /></button>
  );
}
