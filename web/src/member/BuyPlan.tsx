import { useQueryClient } from '@tanstack/react-query';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { $api } from '../api/client';
import type { ResponseOf } from '../api/types';
import { useFormat } from '../format';
import { ContractOutcome } from '../ui';
import { ActionFlow } from '../ui/action-flow';
import { EmptyState, QueryView } from '../ui/states';
import { useToast } from '../ui/toast';
import { useActing } from './acting';
import { passAuthentication } from './authenticate';

type Plan = ResponseOf<'/api/me/plans', 'get'>['items'][number];
type Bought = ResponseOf<'/api/me/purchases', 'post'>;

/**
 * The plans and packs the studio sells in the member app. Buying is the desk's sale (contract, credits, first
 * invoice), shown first as the API's preview, with the first invoice charged to the saved card. Without a card,
 * the way on is saving one.
 */
export function BuyPlan() {
  const intl = useIntl();
  const plans = $api.useQuery('get', '/api/me/plans');
  const card = $api.useQuery('get', '/api/me/card');
  const title = intl.formatMessage({ id: 'member.buy.title' });
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      <QueryView query={plans} rows={2}>
        {({ items: onSale }) => {
          // Options are added to a monthly contract (My page, under the contract), not bought on their own.
          const items = onSale.filter((p) => p.kind !== 'option');
          return items.length === 0 ? (
            <EmptyState><FormattedMessage id="member.buy.none" /></EmptyState>
          ) : (
            <>
              {card.data && !card.data.card && (
                <p className="notice"><FormattedMessage id="member.buy.needCard" values={{ link: (chunks) => <Link to="/member/card">{chunks}</Link> }} /></p>
              )}
              {items.map((p) => <PlanOffer key={p.id} plan={p} canPay={!!card.data?.card} />)}
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

function PlanOffer({ plan: p, canPay }: { plan: Plan; canPay: boolean }) {
  const intl = useIntl();
  const fmt = useFormat();
  const toast = useToast();
  const { memberId } = useActing();
  const price = fmt.money(p.terms.price);
  const label = intl.formatMessage({ id: 'member.buy.buyNamed' }, { name: p.name });
  const client = useQueryClient();
  /** Bought; the first invoice's charge may first ask for the card's 3-D Secure. */
  async function bought(b: Bought) {
    let paid = !b.firstInvoice || b.firstInvoice.status === 'paid';
    if (b.authentication && b.firstInvoice) {
      const { invoice } = await passAuthentication(b.firstInvoice.id, b.authentication, intl.locale).catch(() => ({ invoice: null }));
      paid = invoice?.status === 'paid';
      await client.invalidateQueries();
    }
    toast(intl.formatMessage({ id: paid ? 'member.buy.done' : 'member.buy.doneUnpaid' }, { name: p.name }));
  }
  return (
    <article className="contract" aria-label={p.name}>
      <h3>{p.name}</h3>
      <p>
        {p.kind === 'pack' ? (
          <FormattedMessage id="member.buy.pack" values={{ price, credits: p.terms.packCredits ?? 0, days: p.terms.packValidityDays ?? 0 }} />
        ) : (
          <FormattedMessage id="member.buy.monthly" values={{ price }} />
        )}
      </p>
      {p.description && <p className="muted small">{p.description}</p>}
      {canPay && (
        <ActionFlow<Bought>
          label={label}
          method="POST"
          path="/api/me/purchases"
          body={{ planId: p.id, memberId }}
          preview={{ path: '/api/me/purchases/preview', show: (b) => <PurchasePreview bought={b} /> }}
          confirmLabel={intl.formatMessage({ id: 'member.buy.confirm' })}
          onDone={(b) => void bought(b)}
        />
      )}
    </article>
  );
}

function PurchasePreview({ bought }: { bought: Bought }) {
  const fmt = useFormat();
  return (
    <>
      <ContractOutcome contract={bought} />
      {bought.firstInvoice && (
        <p>
          <strong>
            <FormattedMessage id="member.buy.chargedNow" values={{ amount: fmt.money(bought.firstInvoice.amountDue, bought.firstInvoice.currency) }} />
          </strong>
        </p>
      )}
    </>
  );
}
