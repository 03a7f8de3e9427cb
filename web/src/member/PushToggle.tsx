import { useEffect, useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api, api, ApiError, useApiAction } from '../api/client';
import { ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { registerServiceWorker } from './service-worker';

type Support = 'unsupported' | 'denied' | 'ready';

const supportNow = (): Support =>
  !('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)
    ? 'unsupported'
    : Notification.permission === 'denied'
      ? 'denied'
      : 'ready';

/** The browser's own subscription object wants the key as bytes. */
const keyBytes = (base64url: string) => Uint8Array.from(atob(base64url.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

const registration = async () => (await navigator.serviceWorker.getRegistration('/member')) ?? (await registerServiceWorker());

/**
 * "Get notifications on this device": asks the browser's permission, subscribes with the server's VAPID key and
 * hands the subscription to the server; off removes it here and there. Says why when it cannot be on (a browser
 * without Web Push, notifications blocked, the service without keys).
 */
export function PushSection() {
  const intl = useIntl();
  const [support, setSupport] = useState<Support>(supportNow);
  // This device's subscription, if any (undefined until the service worker answers): the server says if it is ours.
  const [endpoint, setEndpoint] = useState<string | null | undefined>(support === 'unsupported' ? null : undefined);
  useEffect(() => {
    if (support === 'unsupported') return;
    void registration().then(async (reg) => setEndpoint((await reg?.pushManager.getSubscription())?.endpoint ?? null), () => setEndpoint(null));
  }, [support]);
  const state = $api.useQuery('get', '/api/me/push', { params: { query: endpoint ? { endpoint } : {} } }, { enabled: endpoint !== undefined, retry: false });
  const title = intl.formatMessage({ id: 'push.title' });
  const off = state.error instanceof ApiError && state.error.problem.status === 503;
  return (
    <section aria-labelledby="push-title">
      <h2 id="push-title">{title}</h2>
      <p className="muted small"><FormattedMessage id="push.intro" /></p>
      {support === 'unsupported' ? (
        <p role="status"><FormattedMessage id="push.unsupported" /></p>
      ) : off ? (
        <p role="status"><FormattedMessage id="push.off" /></p>
      ) : (
        <QueryView query={state} rows={1}>
          {(push) => <PushSwitch publicKey={push.publicKey} on={push.thisDevice} devices={push.devices} denied={support === 'denied'} onChange={(e, s) => { setEndpoint(e); setSupport(s); }} />}
        </QueryView>
      )}
    </section>
  );
}

function PushSwitch({ publicKey, on, devices, denied, onChange }: { publicKey: string; on: boolean; devices: number; denied: boolean; onChange: (endpoint: string | null, support: Support) => void }) {
  const intl = useIntl();
  const toast = useToast();
  const action = useApiAction();
  const [asking, setAsking] = useState(false);
  const [failed, setFailed] = useState(false);

  async function turnOn() {
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') return onChange(null, supportNow());
    const reg = await registration();
    if (!reg) return onChange(null, 'unsupported');
    const ready = await navigator.serviceWorker.ready;
    // A subscription the server does not count as this member's may be one the push service has since dropped (the
    // server forgets those) or made with another key: a fresh one is sure to work.
    await (await ready.pushManager.getSubscription())?.unsubscribe();
    const subscription = await ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
    const { endpoint, keys } = subscription.toJSON();
    const done = await action.run('push-on', () => api.POST('/api/me/push/subscriptions', { body: { endpoint: endpoint!, keys: { p256dh: keys!.p256dh!, auth: keys!.auth! } } }));
    if (!done) return;
    onChange(subscription.endpoint, 'ready');
    toast(intl.formatMessage({ id: 'push.turnedOn' }));
  }

  async function turnOff() {
    const subscription = await (await registration())?.pushManager.getSubscription();
    if (subscription) {
      const done = await action.run('push-off', () => api.DELETE('/api/me/push/subscriptions', { body: { endpoint: subscription.endpoint } }));
      if (!done) return;
      await subscription.unsubscribe();
    }
    onChange(null, supportNow());
    toast(intl.formatMessage({ id: 'push.turnedOff' }));
  }

  async function toggle() {
    setAsking(true);
    setFailed(false);
    try {
      await (on ? turnOff() : turnOn());
    } catch {
      // The browser's push service refused or could not be reached (the API's own refusals show as problems).
      setFailed(true);
    } finally {
      setAsking(false);
    }
  }

  return (
    <>
      {denied && !on && <p role="status"><FormattedMessage id="push.denied" /></p>}
      <label className="check">
        <input type="checkbox" role="switch" checked={on} disabled={asking || action.busy || (denied && !on)} onChange={() => void toggle()} />{' '}
        <FormattedMessage id="push.switch" />
      </label>
      {on && <p role="status" className="small"><FormattedMessage id="push.on" /></p>}
      {devices > 0 && <p className="muted small"><FormattedMessage id="push.devices" values={{ count: devices }} /></p>}
      {failed && <p role="alert" className="error"><FormattedMessage id="push.failed" /></p>}
      <ProblemAlert error={action.error} />
    </>
  );
}
