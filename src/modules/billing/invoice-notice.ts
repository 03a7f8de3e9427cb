import { day, studioLocale, text } from '../../platform/i18n.js';
import { queueMemberMessages } from '../../platform/messaging/outbox.js';
import type { Runtime } from '../../platform/runtime.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { invoiceLabel } from './invoice-builder.js';
import { formatMoney } from './invoice-document.js';

/** The studio's address on the web, for the link to the invoice in the member app. */
export type StudioUrl = Runtime['tenantUrl'];

/**
 * Tells each account of its new monthly invoice (amount, due date, how it is paid) with a link to it in the member
 * app, where its PDF is: in the transaction that issues it, so a run that rolls back tells nobody and a rerun,
 * which issues no invoice twice, tells nobody twice. An invoice with nothing to pay is issued paid and needs no word.
 */
export async function tellInvoicesIssued(ctx: TenantContext, invoiceIds: string[], tenantUrl: StudioUrl) {
  if (invoiceIds.length === 0) return;
  const invoices = await ctx.db
    .selectFrom('app.invoices')
    .select(['id', 'billing_member_id', 'number', 'total', 'currency', 'due_on', 'auto_charge'])
    .where('id', 'in', invoiceIds)
    .where('status', '=', 'open')
    .execute();
  const voice = { locale: studioLocale(ctx.tenant), timeZone: ctx.tenant.timezone, now: ctx.now };
  for (const i of invoices) {
    const words = {
      invoice: invoiceLabel(i.number!),
      amount: formatMoney(i.total, i.currency, voice.locale),
      dueOn: day(i.due_on),
      payment: i.auto_charge ? 'card' : 'other',
    };
    await queueMemberMessages(
      ctx.db,
      [i.billing_member_id],
      {
        kind: 'monthly_invoice',
        subject: text('billing.mail.monthly_invoice.subject', words),
        body: (name) => text('billing.mail.monthly_invoice.body', { ...words, name }),
        link: `${tenantUrl(ctx.tenant)}/member/invoices/${i.id}`,
      },
      voice,
    );
  }
}
