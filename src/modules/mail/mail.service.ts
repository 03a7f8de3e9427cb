import { signingKeys } from '../../platform/auth/signing-keys.js';
import { AppError, notFound } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { verifyUnsubscribeToken } from '../../platform/messaging/unsubscribe-token.js';
import { settingsRepo } from '../settings/settings.repo.js';
import { mailRepo, templatesRepo } from './mail.repo.js';
import { catalogs } from '../../i18n/catalog.js';
import { asLocale, LOCALES, renderTemplate } from '../../platform/i18n.js';
import { checkTemplate, EDITABLE_KINDS, EDITABLE_TEMPLATES, placeholdersOf, SAMPLE_VALUES, type EditableKind } from '../../platform/messaging/templates.js';
import type { z } from 'zod';
import type * as s from './mail.schemas.js';

type MailSettingsChange = z.output<typeof s.updateMailSettings>;
type TemplateInput = z.output<typeof s.saveTemplate>;

export const mailService = {
  /** The studio's sender name and reply-to. The mail sender reads them at most once a minute. */
  async settings(ctx: TenantContext) {
    const row = await settingsRepo.get(ctx.db);
    return { senderName: row?.mail_sender_name ?? null, replyTo: row?.mail_reply_to ?? null, defaultSenderName: ctx.tenant.display_name };
  },

  async updateSettings(ctx: TenantContext, change: MailSettingsChange) {
    await settingsRepo.upsert(ctx.db, {
      ...(change.senderName !== undefined ? { mail_sender_name: change.senderName } : {}),
      ...(change.replyTo !== undefined ? { mail_reply_to: change.replyTo } : {}),
    });
    return mailService.settings(ctx);
  },

  /**
   * One-click unsubscribe (RFC 8058): the link's token names the member and the kind of message, signed with the
   * studio's key, so no session is needed and a forged or another studio's link turns nothing off.
   */
  async unsubscribe(ctx: TenantContext, token: string) {
    const claims = verifyUnsubscribeToken(token, await signingKeys.find(ctx.db, 'unsubscribe'));
    if (!claims || !(await mailRepo.memberExists(ctx.db, claims.memberId))) throw new AppError('not_found', text('mail.unsubscribe_link_invalid'));
    await mailRepo.turnOff(ctx.db, claims.memberId, claims.kind, ctx.now);
    return { kind: claims.kind, unsubscribed: true as const };
  },

  /** Whether the member's mail address bounced or complained, so staff can ask the member to fix it. */
  async undeliverable(ctx: TenantContext, memberId: string) {
    const address = await mailRepo.addressOf(ctx.db, memberId);
    if (address === undefined) throw notFound('members.thing.member');
    const rows = address ? await mailRepo.undeliverable(ctx.db, address) : [];
    return { items: rows.map((r) => ({ address: r.address, reason: r.reason as 'bounce' | 'complaint', reportedAt: new Date(r.reported_at).toISOString() })) };
  },

  /** Staff clear the mark once the member fixed their mailbox (or gave a new address): mail to it goes again. */
  async clearUndeliverable(ctx: TenantContext, memberId: string) {
    const address = await mailRepo.addressOf(ctx.db, memberId);
    if (address === undefined) throw notFound('members.thing.member');
    if (address) await mailRepo.clear(ctx.db, address);
    return mailService.undeliverable(ctx, memberId);
  },

  /** Every editable kind in each language: the catalog's wording, the studio's own, and the placeholders it may use. */
  async templates(ctx: TenantContext) {
    const own = new Map((await templatesRepo.all(ctx.db)).map((r) => [`${r.kind}|${r.locale}`, r]));
    const items = EDITABLE_KINDS.flatMap((kind) =>
      LOCALES.map((locale) => {
        const row = own.get(`${kind}|${locale}`);
        return {
          kind,
          locale,
          placeholders: placeholdersOf(kind),
          default: { subject: catalogs[locale][EDITABLE_TEMPLATES[kind].subject], body: catalogs[locale][EDITABLE_TEMPLATES[kind].body] },
          own: row ? { subject: row.subject, body: row.body, updatedAt: new Date(row.updated_at).toISOString() } : null,
        };
      }),
    );
    return { items };
  },

  async template(ctx: TenantContext, kind: EditableKind, locale: string) {
    return (await mailService.templates(ctx)).items.find((t) => t.kind === kind && t.locale === locale)!;
  },

  async saveTemplate(ctx: TenantContext, input: TemplateInput) {
    checkTemplate(input.kind, input);
    const by = ctx.principal?.kind === 'staff' ? ctx.principal.staffId : null;
    await templatesRepo.save(ctx.db, { kind: input.kind, locale: input.locale, subject: input.subject, body: input.body, updated_by: by }, ctx.now);
    return mailService.template(ctx, input.kind, input.locale);
  },

  async resetTemplate(ctx: TenantContext, kind: EditableKind, locale: 'ja' | 'en') {
    await templatesRepo.remove(ctx.db, kind, locale);
    return mailService.template(ctx, kind, locale);
  },

  /** The wording as a member would read it, with sample values, in the studio's time zone. */
  previewTemplate(ctx: TenantContext, input: TemplateInput) {
    checkTemplate(input.kind, input);
    const locale = asLocale(input.locale);
    return {
      subject: renderTemplate(input.subject, SAMPLE_VALUES, locale, ctx.tenant.timezone),
      body: renderTemplate(input.body, SAMPLE_VALUES, locale, ctx.tenant.timezone),
    };
  },
};
