import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { api, errorText, type CheckInCode, type Tenant } from '../api';
import { clock } from '../time';
import { Alert } from '../ui';

/** Fetch a new code this long before the old one expires (codes last 30 minutes). */
const REFRESH_BEFORE_MS = 5 * 60_000;
const RETRY_MS = 30_000;

/** The member's check-in code as a QR code for the desk's scanner, renewed before it expires. */
export function CheckInCodeScreen({ tenant }: { tenant: Tenant }) {
  const [code, setCode] = useState<{ code: CheckInCode; image: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function refresh() {
      clearTimeout(timer);
      try {
        const fresh = await api<CheckInCode>('GET', '/api/me/check-in-code');
        const image = await QRCode.toDataURL(fresh.token, { errorCorrectionLevel: 'M', margin: 2, width: 280 });
        if (!live) return;
        setCode({ code: fresh, image });
        setError(null);
        timer = setTimeout(refresh, Math.max(RETRY_MS, Date.parse(fresh.expiresAt) - Date.now() - REFRESH_BEFORE_MS));
      } catch (err) {
        if (!live) return;
        setError(errorText(err, 'Could not get a code; trying again shortly.'));
        timer = setTimeout(refresh, RETRY_MS);
      }
    }
    // A phone wakes from sleep with stale timers: renew on coming back to the screen.
    const onVisible = () => document.visibilityState === 'visible' && void refresh();
    void refresh();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      live = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, []);

  return (
    <section className="checkin-code">
      <h2>Check-in code</h2>
      <p className="muted small">Show this at the front desk. It renews itself while this screen is open.</p>
      <Alert text={error} />
      {code && (
        <>
          <img src={code.image} alt="Check-in QR code" width={280} height={280} data-token={code.code.token} />
          <p className="muted small">Valid until {clock(code.code.expiresAt, tenant.timezone)}</p>
          <details>
            <summary className="small">Show the code as text</summary>
            <code aria-label="Check-in code text" className="token">{code.code.token}</code>
          </details>
        </>
      )}
    </section>
  );
}
