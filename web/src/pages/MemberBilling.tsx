import { useReducer, useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { $api, api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { Input, InvoiceStatusBadge, Table } from '../ui';
import { ActionFlow } from '../ui/action-flow';
import { StripeCardEntry } from '../ui/card-entry';
import { EmptyState, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { fullName } from './Members';

type Member = ResponseOf<'/api/members/{memberId}', 'get'>;
type CardAnswer = ResponseOf<'/api/members/{memberId}/card', 'get'>;
type SavedCard = NonNullable<CardAnswer['card']>;
type InvoiceList = ResponseOf<'/api/invoices', 'get'>;
type BillingSettings = ResponseOf<'/api/settings/billing', 'get'>;

/**
 * A member's billing: the card saved for the account and its invoices. They belong to the family lead (the API
 * refuses others, not_billing_account): a family member's page points to the lead's.
 */
export function BillingSection({ member: m, canManage }: { member: Member; canManage: boolean }) {
  const lead = m.family.find((f) => f.id === m.billingMemberId);
  if (m.billingMemberId !== m.id) {
    return (
      <>
        <h2><FormattedMessage id="members.billing.title" /></h2>
        <p className="muted">
          <FormattedMessage
            id="members.billing.toLead"
            values={{
              lead: (
                <Link to={`/members/${m.billingMemberId}`}>
                  {lead ? (
                    <FormattedMessage id="members.billing.lead" values={{ name: fullName(lead), number: lead.memberNumber }} />
                  ) : (
                    <FormattedMessage id="members.billing.leadPage" />
                  )}
                </Link>
              ),
            }}
          />
        </p>
      </>
    );
  }
  return <AccountBilling memberId={m.id} canManage={canManage} />;
}

/** A saved card as staff read it: Visa •••• 4242 (expires 04/2030). */
function CardText({ card: c }: { card: SavedCard }) {
  const brand = `${c.brand.charAt(0).toUpperCase()}${c.brand.slice(1)}`;
  return c.expMonth && c.expYear ? (
    <FormattedMessage id="members.billing.cardWithExpiry" values={{ brand, last4: c.last4, month: String(c.expMonth).padStart(2, '0'), year: String(c.expYear) }} />
  ) : (
    <FormattedMessage id="members.billing.cardText" values={{ brand, last4: c.last4 }} />
  );
}

function AccountBilling({ memberId, canManage }: { memberId: string; canManage: boolean }) {
  const intl = useIntl();
  const format = useFormat();
  const toast = useToast();
  const path = { params: { path: { memberId } } };
  const card = $api.useQuery('get', '/api/members/{memberId}/card', path);
  const invoices = $api.useQuery('get', '/api/invoices', { params: { query: { memberId, limit: 12 } } });
  // The test cards are listed to managers (the settings are theirs); the desk sees the API's hint on a wrong number.
  const settings = $api.useQuery('get', '/api/settings/billing', {}, { enabled: canManage });
  const [token, setToken] = useState('');
  const [round, nextRound] = useReducer((n: number) => n + 1, 0);
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id: `members.billing.${id}` }, values);
  return (
    <>
      <h2><FormattedMessage id="members.billing.title" /></h2>
      <h3><FormattedMessage id="members.billing.card" /></h3>
      <QueryView query={card} rows={1}>
        {({ card: saved, entry }: CardAnswer) => (
          <>
            <p aria-label={t('savedCard')}>
              {saved ? <CardText card={saved} /> : <span className="muted"><FormattedMessage id="members.billing.noCard" /></span>}
            </p>
            {saved && (
              <ActionFlow
                label={t('remove')}
                method="DELETE"
                path={`/api/members/${memberId}/card`}
                confirmLabel={t('removeConfirm')}
                onDone={() => toast(t('removed'))}
                compact
              />
            )}
            {entry === 'stripe' ? (
              <StripeCardEntry
                hasCard={saved !== null}
                begin={() => api.POST('/api/members/{memberId}/card/setup', path)}
                save={(setupId, key) => api.PUT('/api/members/{memberId}/card', { ...path, body: { setupId }, headers: { 'idempotency-key': key } })}
                onSaved={() => toast(t('saved'))}
              />
            ) : (
            <ActionFlow<CardAnswer>
              key={round}
              label={saved ? t('replace') : t('save')}
              method="PUT"
              path={`/api/members/${memberId}/card`}
              body={{ token: token.trim() }}
              confirmLabel={saved ? t('replaceConfirm') : t('saveConfirm')}
              onDone={() => {
                toast(t('saved'));
                setToken('');
                nextRound();
              }}
            >
              <Input label={t('token')} required minLength={4} autoComplete="off" value={token} onChange={setToken} />
            </ActionFlow>
            )}
          </>
        )}
      </QueryView>
      {settings.data?.gateway === 'test' && <TestCards cards={settings.data.testCards} />}
      <h3><FormattedMessage id="members.billing.invoices" /></h3>
      <QueryView query={invoices}>
        {(list: InvoiceList) =>
          list.items.length === 0 ? (
            <EmptyState><FormattedMessage id="members.billing.noInvoices" /></EmptyState>
          ) : (
            <>
              <Table head={[t('number'), t('month'), t('total'), t('due'), t('status')]}>
                {list.items.map((i) => (
                  <tr key={i.id}>
                    <td><Link to={`/invoices/${i.id}`}>{i.number ?? t('noNumber')}</Link></td>
                    <td>{format.month(i.period)}</td>
                    <td>{format.money(i.total, i.currency)}</td>
                    <td>{format.date(i.dueOn)}</td>
                    <td><InvoiceStatusBadge invoice={i} /></td>
                  </tr>
                ))}
              </Table>
              {list.total > list.items.length && (
                <p className="muted small">
                  <FormattedMessage
                    id="members.billing.latest"
                    values={{ shown: list.items.length, total: list.total, link: (chunks) => <Link to="/invoices">{chunks}</Link> }}
                  />
                </p>
              )}
            </>
          )
        }
      </QueryView>
    </>
  );
}

/** The test gateway's card numbers and what each does. */
export function TestCards({ cards }: { cards: BillingSettings['testCards'] }) {
  const intl = useIntl();
  return (
    <details className="small">
      <summary><FormattedMessage id="members.testCards.title" /></summary>
      <ul aria-label={intl.formatMessage({ id: 'members.testCards.title' })}>
        {cards.map((c) => <li key={c.number}><code>{c.number}</code> {c.note}</li>)}
      </ul>
    </details>
  );
}
