/**
 * The server's message catalogs, one JSON file per area and language (ICU MessageFormat, read by @formatjs/intl):
 * problem titles and details, mails, invoice lines and document labels. English is the reference: its keys are
 * the MessageId type, so a message the code names but the catalog lacks fails to compile, and catalogs.test.ts
 * fails on a key that one language has and the other lacks.
 */
import en_problems from './en/problems.json' with { type: 'json' };
import ja_problems from './ja/problems.json' with { type: 'json' };
import en_validation from './en/validation.json' with { type: 'json' };
import ja_validation from './ja/validation.json' with { type: 'json' };
import en_platform from './en/platform.json' with { type: 'json' };
import ja_platform from './ja/platform.json' with { type: 'json' };
import en_reservations from './en/reservations.json' with { type: 'json' };
import ja_reservations from './ja/reservations.json' with { type: 'json' };
import en_checkin from './en/checkin.json' with { type: 'json' };
import ja_checkin from './ja/checkin.json' with { type: 'json' };
import en_billing from './en/billing.json' with { type: 'json' };
import ja_billing from './ja/billing.json' with { type: 'json' };
import en_schedule from './en/schedule.json' with { type: 'json' };
import ja_schedule from './ja/schedule.json' with { type: 'json' };
import en_members from './en/members.json' with { type: 'json' };
import ja_members from './ja/members.json' with { type: 'json' };
import en_contracts from './en/contracts.json' with { type: 'json' };
import ja_contracts from './ja/contracts.json' with { type: 'json' };
import en_mail from './en/mail.json' with { type: 'json' };
import ja_mail from './ja/mail.json' with { type: 'json' };
import en_documents from './en/documents.json' with { type: 'json' };
import ja_documents from './ja/documents.json' with { type: 'json' };
import en_reports from './en/reports.json' with { type: 'json' };
import ja_reports from './ja/reports.json' with { type: 'json' };
import en_privacy from './en/privacy.json' with { type: 'json' };
import ja_privacy from './ja/privacy.json' with { type: 'json' };
import en_twofactor from './en/twofactor.json' with { type: 'json' };
import en_audit from './en/audit.json' with { type: 'json' };
import ja_audit from './ja/audit.json' with { type: 'json' };
import ja_twofactor from './ja/twofactor.json' with { type: 'json' };
import en_push from './en/push.json' with { type: 'json' };
import ja_push from './ja/push.json' with { type: 'json' };
import en_line from './en/line.json' with { type: 'json' };
import ja_line from './ja/line.json' with { type: 'json' };

export const en = { ...en_problems, ...en_validation, ...en_platform, ...en_reservations, ...en_checkin, ...en_billing, ...en_schedule, ...en_members, ...en_contracts, ...en_mail, ...en_documents, ...en_reports, ...en_privacy, ...en_twofactor, ...en_audit, ...en_push, ...en_line };
export type MessageId = keyof typeof en;
export const ja: Record<MessageId, string> = { ...ja_problems, ...ja_validation, ...ja_platform, ...ja_reservations, ...ja_checkin, ...ja_billing, ...ja_schedule, ...ja_members, ...ja_contracts, ...ja_mail, ...ja_documents, ...ja_reports, ...ja_privacy, ...ja_twofactor, ...ja_audit, ...ja_push, ...ja_line };

export const catalogs = { ja, en } as const;
