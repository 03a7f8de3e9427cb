import { useReducer, useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { $api } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useFormat } from '../../format';
import { Input, Table } from '../../ui';
import { ActionFlow } from '../../ui/action-flow';
import { EmptyState, QueryView } from '../../ui/states';
import { useToast } from '../../ui/toast';

type SignUp = ResponseOf<'/api/settings/member-sign-up', 'get'>;

/**
 * How members may sign themselves up: disposable addresses refused or not, and the email domains the studio
 * refuses. The domain form checks on the server only: its schema converts domains with node's punycode, which
 * the browser does not have.
 */
export function SignUpSettings() {
  const intl = useIntl();
  const settings = $api.useQuery('get', '/api/settings/member-sign-up');
  const t = (id: string) => intl.formatMessage({ id: `settings.signUp.${id}` });
  return (
    <section aria-labelledby="sign-up-settings">
      <h2 id="sign-up-settings"><FormattedMessage id="settings.signUp.title" /></h2>
      <QueryView query={settings}>{(s) => <SignUpRules key={JSON.stringify(s)} settings={s} />}</QueryView>
      <h3><FormattedMessage id="settings.signUp.blocked.title" /></h3>
      <p className="muted small">{t('blocked.help')}</p>
      <BlockedDomains />
    </section>
  );
}

/**
 * Disposable addresses, the membership terms a sign-up agrees to (the version is recorded on the member), and
 * whether staff approve the leaves and cancellations members ask for in the app.
 */
function SignUpRules({ settings }: { settings: SignUp }) {
  const intl = useIntl();
  const toast = useToast();
  const [block, setBlock] = useState(settings.blockDisposableEmailDomains);
  const [version, setVersion] = useState(settings.terms.version);
  const [url, setUrl] = useState(settings.terms.url ?? '');
  const [approval, setApproval] = useState(settings.memberChangesNeedApproval);
  const t = (id: string) => intl.formatMessage({ id: `settings.signUp.${id}` });
  return (
    <ActionFlow<SignUp>
      label={t('title')}
      method="PUT"
      path="/api/settings/member-sign-up"
      body={{ blockDisposableEmailDomains: block, terms: { version: version.trim(), url: url.trim() || null }, memberChangesNeedApproval: approval }}
      confirmLabel={t('save')}
      onDone={() => toast(t('saved'))}
    >
      <label className="check">
        <input type="checkbox" checked={block} onChange={(e) => setBlock(e.target.checked)} />
        <span>{t('blockDisposable')}</span>
      </label>
      <Input label={t('termsVersion')} value={version} onChange={setVersion} required maxLength={50} />
      <Input label={t('termsUrl')} type="url" value={url} onChange={setUrl} placeholder="https://" />
      <p className="muted small">{t('termsHelp')}</p>
      <label className="check">
        <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.target.checked)} />
        <span>{t('approval')}</span>
      </label>
      <p className="muted small">{t('approvalHelp')}</p>
    </ActionFlow>
  );
}

function BlockedDomains() {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const domains = $api.useQuery('get', '/api/settings/blocked-email-domains');
  const [domain, setDomain] = useState('');
  const [round, nextRound] = useReducer((n: number) => n + 1, 0);
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id: `settings.signUp.blocked.${id}` }, values);
  return (
    <>
      <QueryView query={domains}>
        {({ items }) =>
          items.length === 0 ? (
            <EmptyState><FormattedMessage id="settings.signUp.blocked.none" /></EmptyState>
          ) : (
            <Table head={[t('domain'), t('since'), '']}>
              {items.map((d) => (
                <tr key={d.id}>
                  <td>{d.domain}</td>
                  <td>{format.date(format.dayOf(d.createdAt))}</td>
                  <td>
                    <ActionFlow
                      label={t('removeNamed', { domain: d.domain })}
                      method="DELETE"
                      path={`/api/settings/blocked-email-domains/${d.id}`}
                      confirmLabel={t('remove')}
                      onDone={() => toast(t('removed', { domain: d.domain }))}
                      compact
                    />
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
      <ActionFlow<{ domain: string }>
        key={round}
        label={t('add')}
        method="POST"
        path="/api/settings/blocked-email-domains"
        body={{ domain }}
        confirmLabel={t('add')}
        onDone={(d) => {
          toast(t('added', { domain: d.domain }));
          setDomain('');
          nextRound();
        }}
      >
        {(errors) => <Input label={t('domain')} required value={domain} onChange={setDomain} error={errors.domain} placeholder="example.com" />}
      </ActionFlow>
    </>
  );
}
