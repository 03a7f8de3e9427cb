import type { Selectable } from 'kysely';
import { csvFile, csvLine } from '../../platform/csv.js';
import { AppError, notFound } from '../../platform/errors.js';
import { day, render, studioLocale, text, type MessageId } from '../../platform/i18n.js';
import { outboxRepo } from '../../platform/messaging/outbox.repo.js';
import type { Failure } from '../../platform/messaging/channels.js';
import type { AppMembers, MemberStatus } from '../../platform/db/types.js';
import { tenantToday } from '../../platform/calendar.js';
import { EARLIEST_BIRTH_DATE } from '../../platform/dates.schemas.js';
import { actorOf } from '../../platform/tenancy/actor.js';
import { locationsRepo } from '../schedule/catalog.repo.js';
import { statusService } from './status.service.js';
import type { TenantContext } from '../../platform/tenancy/context.js';
import { membersRepo } from './members.repo.js';
import { assertQuota } from '../../platform/limits/quotas.js';
import { loginAttemptsRepo } from '../../platform/auth/credentials.repo.js';
import { normaliseKana } from './members.schemas.js';

type Member = Selectable<AppMembers>;

export interface MemberInput {
  familyName: string;
  givenName?: string;
  familyNameKana?: string;
  givenNameKana?: string;
  email?: string | null;
  phone?: string | null;
  birthDate?: string | null;
  gender?: Member['gender'];
  address?: Member['address'];
  emergencyContact?: Member['emergency_contact'];
  tags?: string[];
  staffNotes?: string;
  homeLocationId?: string | null;
  acceptedTermsVersion?: string;
}

const toSummary = (m: Pick<Member, 'id' | 'member_number' | 'family_name' | 'given_name' | 'family_name_kana' | 'given_name_kana' | 'email' | 'phone' | 'tags' | 'family_lead_id' | 'status'>) => ({
  id: m.id,
  status: m.status,
  memberNumber: m.member_number,
  familyName: m.family_name,
  givenName: m.given_name,
  familyNameKana: m.family_name_kana,
  givenNameKana: m.given_name_kana,
  email: m.email,
  phone: m.phone,
  tags: m.tags,
  familyLeadId: m.family_lead_id,
});

const json = (value: object | null | undefined) => (value === undefined ? undefined : value === null ? null : JSON.stringify(value));

/** Column values from API input, checked against the studio's today; undefined leaves a column as it is. */
export function memberColumns(ctx: TenantContext, input: Partial<MemberInput>) {
  const today = tenantToday(ctx);
  if (input.birthDate && input.birthDate > today) {
    const message = text('members.birth_date_range', { earliest: day(EARLIEST_BIRTH_DATE), today: day(today) });
    throw new AppError('validation_failed', message, { issues: [{ location: 'body', path: 'birthDate', message }] });
  }
  return {
    family_name: input.familyName,
    given_name: input.givenName,
    family_name_kana: input.familyNameKana,
    given_name_kana: input.givenNameKana,
    email: input.email,
    phone: input.phone,
    birth_date: input.birthDate,
    gender: input.gender,
    address: json(input.address),
    emergency_contact: json(input.emergencyContact),
    tags: input.tags,
    staff_notes: input.staffNotes,
    home_location_id: input.homeLocationId,
    ...(input.acceptedTermsVersion ? { terms_version: input.acceptedTermsVersion, terms_accepted_at: ctx.now } : {}),
  };
}

const EXPORT_PAGE = 1000;

/** The account a member's charges go to: the family lead, or the member itself. */
export const billingMemberId = (m: Pick<Member, 'id' | 'family_lead_id'>) => m.family_lead_id ?? m.id;

/** Splits a search box's text into the prefixes each column understands. */
export function searchPrefixes(q: string | undefined) {
  const text = (q ?? '').normalize('NFKC').trim();
  if (!text) return {};
  const compact = text.replace(/\s+/g, '');
  const digits = compact.replace(/[-()+]/g, '');
  const kana = normaliseKana(text);
  return {
    namePrefix: compact.toLowerCase(),
    kanaPrefix: /^[\u30a0-\u30ffー]+$/.test(kana) ? kana : undefined,
    digitsPrefix: /^\d+$/.test(digits) ? digits : undefined,
    emailPrefix: compact.includes('@') || /^[a-z0-9._+-]+$/i.test(compact) ? compact.toLowerCase() : undefined,
  };
}

async function checkHomeLocation(ctx: TenantContext, id: string | null | undefined) {
  if (id && (await locationsRepo.countLive(ctx.db, [id])) !== 1) {
    throw new AppError('validation_failed', text('members.unknown_home_location'));
  }
}

/**
 * One member record per email address. A member who signs up with the email the desk registered becomes that
 * member when they confirm it, so the desk must not register a second member with an address a member has. The
 * lock is the one sign-up and its confirmation take for the address: a desk registration racing a confirmation
 * waits for it, then finds the member it made (and the confirmation, the desk's member).
 */
async function assertEmailFree(ctx: TenantContext, email: string | null | undefined, self?: string) {
  if (!email) return;
  await membersRepo.lockImports(ctx.db, ctx.tenant.id, 'email');
  await loginAttemptsRepo.lockAccount(ctx.db, 'member', email);
  const other = (await membersRepo.withEmail(ctx.db, email)).find((m) => m.id !== self);
  if (other) {
    const detail = text('members.email_taken', { number: other.member_number, name: `${other.family_name} ${other.given_name}`.trim() });
    throw new AppError('conflict', detail, { memberId: other.id });
  }
}

export const membersService = {
  /**
   * Registers a member: the next member number, and a first history event as provisional. `emailTaken`: a
   * confirmed sign-up whose address only members with accounts of other addresses have (becomeMember).
   */
  async create(ctx: TenantContext, input: MemberInput, { emailTaken = false } = {}) {
    // The email's lock before the quota's: a sign-up's confirmation holds the email's when it gets here.
    if (!emailTaken) await assertEmailFree(ctx, input.email);
    await assertQuota(ctx, 'members');
    await checkHomeLocation(ctx, input.homeLocationId);
    const memberNumber = await membersRepo.nextMemberNumber(ctx.db);
    const member = await membersRepo.insert(ctx.db, { ...memberColumns(ctx, input), family_name: input.familyName, member_number: memberNumber });
    await statusService.recordRegistration(ctx.db, [member.id], actorOf(ctx), tenantToday(ctx), render(text('members.reason.registered'), studioLocale(ctx.tenant)));
    return membersService.get(ctx, member.id);
  },

  async messages(ctx: TenantContext, id: string, limit: number) {
    const member = await membersRepo.byId(ctx.db, id);
    if (!member) throw notFound('members.thing.member');
    // Mail for a member without an address goes to their family lead: the page shows the address it goes to.
    const lead = !member.email && member.family_lead_id ? await membersRepo.byId(ctx.db, member.family_lead_id) : undefined;
    const address = member.email ?? lead?.email ?? null;
    const rows = await outboxRepo.forMember(ctx.db, member.id, address ? [address] : [], limit);
    return {
      address,
      items: rows.map((r) => ({
        id: r.id,
        template: r.template,
        channel: r.channel,
        subject: r.subject,
        status: r.status,
        attempts: r.attempts,
        createdAt: r.created_at.toISOString(),
        sentAt: r.sent_at?.toISOString() ?? null,
        failedAt: r.failed_at?.toISOString() ?? null,
        lastError: r.last_error,
        failure: r.failure as Failure | null,
      })),
    };
  },

  async get(ctx: TenantContext, id: string) {
    const member = await membersRepo.byId(ctx.db, id);
    if (!member) throw notFound('members.thing.member');
    const leadId = billingMemberId(member);
    const family = await membersRepo.dependents(ctx.db, leadId);
    const lead = member.family_lead_id ? await membersRepo.byId(ctx.db, member.family_lead_id) : member;
    return {
      ...toSummary(member),
      birthDate: member.birth_date,
      gender: member.gender,
      address: member.address,
      emergencyContact: member.emergency_contact,
      staffNotes: member.staff_notes,
      statusSince: member.status_since,
      homeLocationId: member.home_location_id,
      termsVersion: member.terms_version,
      termsAcceptedAt: member.terms_accepted_at?.toISOString() ?? null,
      billingMemberId: leadId,
      // The whole family, lead first, without the member itself.
      family: [lead!, ...family]
        .filter((f) => f.id !== member.id)
        .map((f) => ({ id: f.id, memberNumber: f.member_number, familyName: f.family_name, givenName: f.given_name })),
      createdAt: member.created_at.toISOString(),
      updatedAt: member.updated_at.toISOString(),
    };
  },

  /** Consent to a version of the studio's terms, now (a sign-up joining the member the desk registered). */
  recordTerms: async (ctx: TenantContext, id: string, version: string) =>
    void (await membersRepo.update(ctx.db, id, { terms_version: version, terms_accepted_at: ctx.now })),

  async update(ctx: TenantContext, id: string, input: Partial<MemberInput>) {
    await checkHomeLocation(ctx, input.homeLocationId);
    // Only a new address must be free: a form sends the email it shows, and older records may share one.
    if (input.email && input.email !== (await membersRepo.byId(ctx.db, id))?.email) await assertEmailFree(ctx, input.email, id);
    const updated = await membersRepo.update(ctx.db, id, memberColumns(ctx, input));
    if (!updated) throw notFound('members.thing.member');
    return membersService.get(ctx, id);
  },

  async search(ctx: TenantContext, q: { q?: string; tag?: string; status?: MemberStatus; after?: number; limit: number }) {
    const rows = await membersRepo.search(ctx.db, { ...searchPrefixes(q.q), tag: q.tag, status: q.status, afterNumber: q.after, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return { items: page.map(toSummary), nextCursor: rows.length > q.limit ? page.at(-1)!.member_number : null };
  },

  /**
   * Every member the list's filters find, as a CSV file Excel opens as UTF-8 (it needs the BOM to read Japanese).
   * Read a page at a time by member number, so a studio of 10,000 members never holds one huge result set.
   */
  async exportCsv(ctx: TenantContext, q: { q?: string; tag?: string; status?: MemberStatus }) {
    const locale = ctx.request.locale;
    const say = (id: string) => render(text(`members.export.${id}` as MessageId), locale);
    const columns = ['memberNumber', 'familyName', 'givenName', 'familyNameKana', 'givenNameKana', 'email', 'phone', 'status', 'tags'] as const;
    const lines = [csvLine(columns.map((c) => say(`column.${c}`)))];
    const prefixes = searchPrefixes(q.q);
    for (let after: number | undefined; ; ) {
      const rows = await membersRepo.search(ctx.db, { ...prefixes, tag: q.tag, status: q.status, afterNumber: after, limit: EXPORT_PAGE });
      for (const m of rows) {
        lines.push(csvLine([
          String(m.member_number), m.family_name, m.given_name, m.family_name_kana, m.given_name_kana, m.email ?? '', m.phone ?? '',
          render(text(`members.status.${m.status}`), locale), m.tags.join(' '),
        ]));
      }
      if (rows.length < EXPORT_PAGE) break;
      after = rows.at(-1)!.member_number;
    }
    return csvFile(lines);
  },

  /**
   * Puts a member under a family lead, who is then billed and may act for them. Families are one level deep:
   * a lead has no lead, and a member who leads others cannot join another family.
   */
  async setFamilyLead(ctx: TenantContext, memberId: string, leadId: string) {
    if (memberId === leadId) throw new AppError('unprocessable', text('members.own_family_lead'));
    // Lock both rows in a fixed order so two opposite links cannot cross.
    const [first, second] = [memberId, leadId].sort();
    const locked = new Map<string, Member | undefined>();
    for (const id of [first!, second!]) locked.set(id, await membersRepo.byIdForUpdate(ctx.db, id));
    const member = locked.get(memberId);
    const lead = locked.get(leadId);
    if (!member) throw notFound('members.thing.member');
    if (!lead) throw notFound('members.thing.family_lead');
    if (lead.family_lead_id) throw new AppError('unprocessable', text('members.lead_in_other_family'));
    if ((await membersRepo.dependents(ctx.db, memberId)).length > 0) {
      throw new AppError('unprocessable', text('members.leads_family'));
    }
    await membersRepo.update(ctx.db, memberId, { family_lead_id: leadId });
    return membersService.get(ctx, memberId);
  },

  async clearFamilyLead(ctx: TenantContext, memberId: string) {
    const updated = await membersRepo.update(ctx.db, memberId, { family_lead_id: null });
    if (!updated) throw notFound('members.thing.member');
    return membersService.get(ctx, memberId);
  },
};
