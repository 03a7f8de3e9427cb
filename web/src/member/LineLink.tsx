import { useEffect } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { $api, api, isSignedOut, useApiAction } from '../api/client';
import { useFormat } from '../format';
import { PageTitle } from '../ui/page';
import { ProblemAlert, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';

/**
 * Where the studio's LINE account sends a member ("Link membership", with LINE's link token): signed in, the member
 * confirms, and LINE's own page asks them to approve; LINE then tells the studio, which links the two.
 */
export function LineLink() {
  const intl = useIntl();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const linkToken = params.get('linkToken') ?? '';
  const mine = $api.useQuery('get', '/api/me/line', {}, { retry: false });
  const action = useApiAction();
  const signedOut = isSignedOut(mine.error);
  // Signing in first, then back here with the same link token.
  useEffect(() => {
    if (signedOut) void navigate(`/member/login?next=${encodeURIComponent(`/member/line-link?linkToken=${linkToken}`)}`, { replace: true });
  }, [signedOut, linkToken, navigate]);

  async function link() {
    const done = await action.run(`line-link:${linkToken}`, () => api.POST('/api/me/line/link', { body: { linkToken } }));
    // LINE's page, outside the app: the member approves there.
    if (done) window.location.assign(done.url);
  }

  const title = intl.formatMessage({ id: 'line.me.linkTitle' });
  return (
    <main className="card narrow">
      <PageTitle title={title}>{title}</PageTitle>
      {!linkToken ? (
        <p role="alert" className="error"><FormattedMessage id="line.me.noToken" /></p>
      ) : signedOut ? null : (
        <QueryView query={mine} rows={2}>
          {(line) =>
            !line.available ? (
              <p role="status"><FormattedMessage id="line.me.unavailable" /></p>
            ) : line.linked ? (
              <p role="status"><FormattedMessage id="line.me.alreadyLinked" /></p>
            ) : (
              <>
                <p><FormattedMessage id="line.me.linkIntro" /></p>
                <button type="button" disabled={action.busy} onClick={() => void link()}><FormattedMessage id="line.me.link" /></button>
                <ProblemAlert error={action.error} />
              </>
            )
          }
        </QueryView>
      )}
      <p className="small"><Link to="/member"><FormattedMessage id="line.me.back" /></Link></p>
    </main>
  );
}

/** A member's LINE: whether it is linked, how to link it (add the studio's account as a friend), and unlinking. */
export function LineSection() {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const mine = $api.useQuery('get', '/api/me/line');
  const action = useApiAction();
  async function unlink() {
    const done = await action.run('line-unlink', () => api.DELETE('/api/me/line'));
    if (done !== null) toast(intl.formatMessage({ id: 'line.me.unlinked' }));
  }
  return (
    <section aria-labelledby="line-section">
      <h2 id="line-section"><FormattedMessage id="line.me.title" /></h2>
      <QueryView query={mine} rows={2}>
        {(line) =>
          !line.available ? (
            <p className="muted small"><FormattedMessage id="line.me.unavailable" /></p>
          ) : line.linked ? (
            <>
              <p role="status"><FormattedMessage id="line.me.linked" values={{ since: format.dayAndTime(line.linkedAt ?? '') }} /></p>
              <button type="button" className="secondary" disabled={action.busy} onClick={() => void unlink()}><FormattedMessage id="line.me.unlink" /></button>
              <ProblemAlert error={action.error} />
            </>
          ) : (
            <>
              <p className="muted small"><FormattedMessage id="line.me.howTo" /></p>
              {line.friendUrl && (
                <p><a href={line.friendUrl} rel="noopener noreferrer"><FormattedMessage id="line.me.addFriend" values={{ basicId: line.basicId ?? '' }} /></a></p>
              )}
            </>
          )
        }
      </QueryView>
    </section>
  );
}
