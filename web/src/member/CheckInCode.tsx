import { useQuery } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { FormattedMessage, useIntl } from 'react-intl';
import { api, ApiError } from '../api/client';
import { useFormat } from '../format';
import { PageTitle } from '../ui/page';
import { problemText, QueryView } from '../ui/states';

/** Fetch a new code this long before the old one expires (codes last 30 minutes). */
const REFRESH_BEFORE_MS = 5 * 60_000;
const RETRY_MS = 30_000;

/** A fresh code and its QR image, made together so the picture always shows the code it is said to be. */
async function freshCode() {
  const { data } = await api.GET('/api/me/check-in-code');
  if (!data) throw new Error('no check-in code');
  const image = await QRCode.toDataURL(data.token, { errorCorrectionLevel: 'M', margin: 2, width: 280 });
  return { code: data, image };
}

/** The member's check-in code as a QR code for the desk's scanner, renewed before it expires. */
export function CheckInCodeScreen() {
  const intl = useIntl();
  const fmt = useFormat();
  const query = useQuery({
    queryKey: ['/api/me/check-in-code', 'qr'],
    queryFn: freshCode,
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
    </section>
  );
}
