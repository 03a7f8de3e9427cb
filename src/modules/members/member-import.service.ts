import type { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import { day, render, studioLocale, text, type Text } from '../../platform/i18n.js';
import { issueText } from '../../platform/http/problems.js';
import { tenantToday } from '../../platform/calendar.js';
import { EARLIEST_BIRTH_DATE } from '../../platform/dates.schemas.js';
import { assertQuota } from '../../platform/limits/quotas.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { readSheet, rowToMember, suggestMapping, type ImportMapping } from './member-import.js';
import { membersRepo } from './members.repo.js';
import { memberColumns } from './members.service.js';
import { createMemberBody, IMPORT_FIELDS, importedCredits, type ImportField, type importMembersResult } from './members.schemas.js';
import { creditsRepo } from '../credits/credits.repo.js';
import { statusService } from './status.service.js';

/** Rows per insert statement: 1,000 members are about 12,000 parameters, well under PostgreSQL's 65,535. */
const CHUNK = 1_000;
/** Errors the answer lists; the count of failed rows is always whole. */
const MAX_LISTED_ERRORS = 1_000;

type Result = z.input<typeof importMembersResult>;
type RowError = Result['errors'][number];

const chunks = <T>(items: T[]) => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/** Each mapped field's column; a header the file lacks, or no id or name column, is the request's mistake. */
function columnsOf(headers: string[], mapping: ImportMapping): Partial<Record<ImportField, number>> {
  const issues: Array<{ location: string; path: string; message: Text }> = [];
  const columns: Partial<Record<ImportField, number>> = {};
  for (const field of IMPORT_FIELDS) {
    const header = mapping[field];
    if (header === undefined) continue;
    const at = headers.indexOf(header);
    if (at < 0) issues.push({ location: 'body', path: `mapping.${field}`, message: text('members.import.no_such_column', { header }) });
    else if (headers.lastIndexOf(header) !== at) issues.push({ location: 'body', path: `mapping.${field}`, message: text('members.import.two_columns', { header }) });
    else columns[field] = at;
  }
  if (mapping.externalId === undefined) issues.push({ location: 'body', path: 'mapping.externalId', message: text('members.import.id_column_needed') });
  if (mapping.familyName === undefined && mapping.fullName === undefined) issues.push({ location: 'body', path: 'mapping.familyName', message: text('members.import.name_column_needed') });
  // A name read two ways, or half a name: one of the columns chosen would be ignored.
  for (const [whole, family, given] of [['fullName', 'familyName', 'givenName'], ['fullNameKana', 'familyNameKana', 'givenNameKana']] as const) {
    if (mapping[whole] !== undefined && (mapping[family] !== undefined || mapping[given] !== undefined)) {
      issues.push({ location: 'body', path: `mapping.${whole}`, message: text('members.import.name_twice') });
    } else if (mapping[given] !== undefined && mapping[family] === undefined) {
      issues.push({ location: 'body', path: `mapping.${family}`, message: text('members.import.family_name_needed') });
    }
  }
  if (issues[0]) throw new AppError('validation_failed', issues[0].message, { issues, headers, mapping });
  return columns;
}

/**
 * The import's own words where the form's would mislead: a spreadsheet's date or gender written in a way it does
 * not read (the form's words speak of ISO dates and the API's enum).
 */
function importIssue(issue: z.core.$ZodIssue): Text | null {
  const field = issue.path[0];
  if ((field === 'birthDate' || field === 'expiresOn') && issue.code === 'invalid_format') return text('members.import.date_format');
  if (field === 'gender') return text('members.import.gender_unknown');
  return null;
}

export const memberImportService = {
  /**
   * Registers the members of a CSV file from another system, keyed on their id there (`external_id`): a row whose
   * id a member here already has is skipped, so the same file can be imported again and adds nobody twice. Each
   * row is checked as the registration form checks it; a row with errors is left out and listed, and the rest
   * are registered. Through `/preview` the same run is rolled back: the dry run shows what the import will do.
   */
  async run(ctx: TenantContext, input: { file: string; mapping?: ImportMapping }): Promise<Result> {
    const sheet = readSheet(Buffer.from(input.file, 'base64'));
    const mapping = input.mapping ?? suggestMapping(sheet.headers);
    const columns = columnsOf(sheet.headers, mapping);
    const locale = ctx.request.locale;
    const today = tenantToday(ctx);
    const errors: RowError[] = [];
    const failed = new Set<number>();
    const firstRowOfId = new Map<string, number>();
    const firstRowOfEmail = new Map<string, number>();
    const accepted: Array<{ row: number; externalId: string; member: z.output<typeof createMemberBody>; lot: z.output<typeof importedCredits> | null; emailCell: string }> = [];

    const cellOf = (cells: string[], field: ImportField) => {
      const at = columns[field];
      return at === undefined ? '' : (cells[at] ?? '');
    };
    // A name left empty is not in the body: its column is the one the name is read from.
    const nameColumn = columns.familyName === undefined ? 'fullName' : 'familyName';

    sheet.rows.forEach((cells, i) => {
      const row = sheet.lines[i]!;
      const { externalId, body, from, credits } = rowToMember(cells, columns);
      const fail = (field: ImportField | undefined, message: string) => {
        failed.add(row);
        const error = { row, column: field === undefined ? null : (mapping[field] ?? null), value: field === undefined ? '' : cellOf(cells, field), message };
        // Both halves of a whole name wrong say the same thing about the same cell: once is enough.
        const last = errors.at(-1);
        if (last?.row !== row || last.column !== error.column || last.message !== message) errors.push(error);
      };
      const say = (t: Text) => render(t, locale);
      if (externalId === '') fail('externalId', say(text('members.import.id_missing')));
      else if (externalId.length > 100) fail('externalId', say(text('members.import.id_too_long')));
      else if (firstRowOfId.has(externalId)) fail('externalId', say(text('members.import.id_repeated', { row: firstRowOfId.get(externalId)! })));
      else firstRowOfId.set(externalId, row);

      const email = typeof body.email === 'string' ? body.email : undefined;
      if (email) {
        const first = firstRowOfEmail.get(email);
        if (first !== undefined) fail('email', say(text('members.import.email_repeated', { row: first })));
        else firstRowOfEmail.set(email, row);
      }

      const lot = credits === null ? null : importedCredits.safeParse(credits);
      if (lot && !lot.success) {
        for (const issue of lot.error.issues) fail(issue.path[0] === 'expiresOn' ? 'creditsExpireOn' : 'credits', say(importIssue(issue) ?? text('members.import.credits_format')));
      } else if (lot?.data.expiresOn && lot.data.expiresOn < today) {
        fail('creditsExpireOn', say(text('members.import.credits_expired')));
      }

      const parsed = createMemberBody.safeParse(body);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const key = String(issue.path[0] ?? '');
          const own = importIssue(issue);
          fail(from[key] ?? (key === 'familyName' ? nameColumn : undefined), own ? say(own) : issueText(issue, locale));
        }
        return;
      }
      const member = parsed.data;
      if (member.birthDate && member.birthDate > today) {
        fail('birthDate', say(text('members.birth_date_range', { earliest: day(EARLIEST_BIRTH_DATE), today: day(today) })));
      }
      if (!failed.has(row)) accepted.push({ row, externalId, member, lot: lot?.data ?? null, emailCell: cellOf(cells, 'email') });
    });

    await membersRepo.lockImports(ctx.db, ctx.tenant.id, 'import');
    const here = new Set<string>();
    for (const ids of chunks(accepted.map((a) => a.externalId))) {
      for (const m of await membersRepo.withExternalIds(ctx.db, ids)) here.add(m.external_id!);
    }
    const fresh = accepted.filter((a) => !here.has(a.externalId));
    // An address another member already has is refused, as the registration form refuses it.
    const taken = new Map<string, { member_number: number; family_name: string; given_name: string }>();
    for (const emails of chunks(fresh.flatMap((a) => (a.member.email ? [a.member.email] : [])))) {
      for (const m of await membersRepo.withEmails(ctx.db, emails)) if (!taken.has(m.email!)) taken.set(m.email!, m);
    }
    const toCreate = fresh.filter((a) => {
      const other = a.member.email ? taken.get(a.member.email) : undefined;
      if (!other) return true;
      failed.add(a.row);
      const name = `${other.family_name} ${other.given_name}`.trim();
      errors.push({ row: a.row, column: mapping.email ?? null, value: a.emailCell, message: render(text('members.import.email_taken', { number: other.member_number, name }), locale) });
      return false;
    });

    let memberNumbers: Result['memberNumbers'] = null;
    let created = 0;
    let creditsGranted = 0;
    if (toCreate.length > 0) {
      await assertQuota(ctx, 'members', toCreate.length);
      const last = await membersRepo.nextMemberNumbers(ctx.db, toCreate.length);
      memberNumbers = { first: last - toCreate.length + 1, last };
      const reason = render(text('members.reason.imported'), studioLocale(ctx.tenant));
      const actor = actorOf(ctx);
      let number = memberNumbers.first;
      for (const part of chunks(toCreate)) {
        const rows = part.map((a) => ({ ...memberColumns(ctx, a.member), family_name: a.member.familyName, member_number: number++, external_id: a.externalId }));
        const inserted = await membersRepo.insertImported(ctx.db, rows);
        created += inserted.length;
        await statusService.recordRegistration(ctx.db, inserted.map((m) => m.id), actor, today, reason);
        const lots = new Map(part.flatMap((a) => (a.lot ? [[a.externalId, a.lot] as const] : [])));
        const grants = inserted.flatMap((m) => {
          const lot = lots.get(m.external_id!);
          return lot ? [{ member_id: m.id, kind: 'grant' as const, amount: lot.amount, expires_on: lot.expiresOn ?? null, reason, actor_kind: actor.kind, actor_id: actor.id }] : [];
        });
        await creditsRepo.insert(ctx.db, grants);
        creditsGranted += grants.reduce((sum, g) => sum + g.amount, 0);
      }
    }

    // In the file's order: by line, then left to right.
    const place = (e: RowError) => (e.column === null ? -1 : sheet.headers.indexOf(e.column));
    errors.sort((a, b) => a.row - b.row || place(a) - place(b));
    return {
      encoding: sheet.encoding,
      headers: sheet.headers,
      mapping,
      rows: sheet.rows.length,
      created,
      creditsGranted,
      alreadyImported: accepted.length - fresh.length,
      failedRows: failed.size,
      errors: errors.slice(0, MAX_LISTED_ERRORS),
      memberNumbers,
    };
  },
};
