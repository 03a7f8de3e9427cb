import { useQuery } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, ApiError } from '../api/client';
import { useFormat } from '../format';
import { PageTitle } from '../ui/page';
import { EmptyState, problemText, QueryView } from '../ui/states';
import { useActing } from './acting';

/** Fetch a new code this long before the old one expires (codes last 30 minutes). */
const REFRESH_BEFORE_MS = 5 * 60_000;
const RETRY_MS = 30_000;

/** A fresh code and its QR image, made together so the picture always shows the code it is said to be. */
async function freshCode(memberId: string | undefined) {
  const { data } = await api.GET('/api/me/check-in-code', { params: { query: { memberId } } });
  if (!data) throw new Error('no check-in code');
  const image = await QRCode.toDataURL(data.token, { errorCorrectionLevel: 'M', margin: 2, width: 280 });
  return { code: data, image };
}

/**
 * The member's check-in code as a QR code for the desk's scanner, renewed before it expires (a family lead's, for
 * the family member they act for), and their recent visits.
 */
export function CheckInCodeScreen() {
  const intl = useIntl();
  const fmt = useFormat();
  const { memberId } = useActing();
  const query = useQuery({
    queryKey: ['/api/me/check-in-code', 'qr', memberId],
    queryFn: () => freshCode(memberId),
    staleTime: 0,
    // Renewed five minutes before it expires; after a failure, tried again shortly.
    refetchInterval: (q) =>
      q.state.data && q.state.status !== 'error' ? Math.max(RETRY_MS, Date.parse(q.state.data.code.expiresAt) - Date.now() - REFRESH_BEFORE_MS) : RETRY_MS,
    // A phone wakes from sleep with stale timers: renew on coming back to the screen.
    refetchOnWindowFocus: 'always',
  });
  const title = intl.formatMessage({ id: 'member.checkIn.title' });
  return (
    <section className="checkin-code">
      <PageTitle title={title}>{title}</PageTitle>
      <p className="muted small"><FormattedMessage id="member.checkIn.intro" /></p>
      <QueryView query={query} rows={4}>
        {({ code, image }) => (
          <>
            {query.isError && (
              <p role="alert" className="error">
                {query.error instanceof ApiError ? problemText(intl, query.error) : intl.formatMessage({ id: 'member.checkIn.retrying' })}
              </p>
            )}
            <img src={image} alt={intl.formatMessage({ id: 'member.checkIn.qrAlt' })} width={280} height={280} data-token={code.token} />
            <p className="muted small"><FormattedMessage id="member.checkIn.validUntil" values={{ time: fmt.clock(code.expiresAt) }} /></p>
            <details>
              <summary className="small"><FormattedMessage id="member.checkIn.showText" /></summary>
              <code aria-label={intl.formatMessage({ id: 'member.checkIn.textLabel' })} className="token">{code.token}</code>
            </details>
          </>
        )}
      </QueryView>
      <RecentVisits memberId={memberId} />
    </section>
  );
}

function RecentVisits({ memberId }: { memberId: string | undefined }) {
  const intl = useIntl();
  const fmt = useFormat();
  const visits = $api.useQuery('get', '/api/me/check-ins', { params: { query: { memberId } } });
  const title = intl.formatMessage({ id: 'member.checkIn.recent' });
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      <QueryView query={visits} rows={2}>
        {({ items }) =>
          items.length === 0 ? (
            <EmptyState><FormattedMessage id="member.checkIn.noVisits" /></EmptyState>
          ) : (
            <ul className="list">
              {items.map((v) => (
                <li key={v.id}>
                  <strong>{fmt.dayAndTime(v.checkedInAt)}</strong>{' '}
                  {v.lesson ? v.lesson.name : <FormattedMessage id="member.checkIn.walkIn" />}
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </section>
  );
}
