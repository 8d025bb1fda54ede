import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import type { Point } from '../../platform/geo/geo.js';
import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../platform/errors.js';
import type { AccountService } from '../account/service.js';
import type { CatalogueService } from '../catalogue/service.js';
import type { ReportService } from '../reports/service.js';
import type { ServiceSettings } from '../catalogue/settings.js';
import { CHANNELS } from '../../platform/config.js';
import { CASE_KINDS, type CaseKindName, statusDefinition } from '../cases/kinds.js';
import type { QueueFilter } from '../cases/queries.js';
import type { Actor, Case, CaseService } from '../cases/service.js';
import { CHAT_TEAM } from '../chat/service.js';
import { audit, auditLog, type AuditEntry, type AuditFilters } from './audit.js';
import { mayChange, requireAdmin, type Staff, type StaffRole } from './roles.js';

/** What a change to a case writes to the audit log, beside who did it and to which case. */
type Audited = Pick<AuditEntry, 'action' | 'before' | 'after'>;

export const QUEUE_PAGE_SIZE = 50;
/** How far from a street or postcode searched for a case may be. */
export const NEAR_METRES = 500;
const EXPORT_PAGE_SIZE = 1000;
/** A spreadsheet of more than this is better narrowed by its filters first. */
export const EXPORT_LIMIT = 100_000;

/** What a queue page asks for, as read from its query string. */
export interface QueueQuery {
  team?: string | undefined;
  service?: string | undefined;
  status?: string | undefined;
  /** 'me', 'none', or undefined for anyone. */
  assigned?: 'me' | 'none' | undefined;
  overdue?: boolean;
  /** A reference, an email address, or a street or postcode (resolved to `near`). */
  search?: string | undefined;
  /** Cases within NEAR_METRES of the street or postcode searched for. */
  near?: Point | undefined;
  sort: QueueFilter['sort'];
  page: number;
}

const REFERENCE = /^[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{4}$/i;

export const CONTACT_CHANNELS = ['phone', 'face_to_face', 'email', 'chat'] as const;
export const CONTACT_OUTCOMES: Record<string, string> = {
  answered: 'Question answered',
  signposted: 'Shown where to do it online',
  referred: 'Passed to another team or organisation',
  case_opened: 'A case was opened (also log it as a case)',
};

/**
 * The back office's domain: queues, working a case (every change checked against the role, the
 * version the officer saw, and written to the audit log in the same transaction), staff
 * accounts and the audit log. No HTTP here.
 */
export class BackOffice {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly cases: CaseService,
    private readonly accounts: AccountService,
    private readonly catalogue: CatalogueService,
    private readonly reports: ReportService,
    readonly settings: ServiceSettings,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Every team that owns a service or a report category in some area, by name. */
  teams(): string[] {
    const names = new Set<string>([CHAT_TEAM]);
    for (const service of this.catalogue.services) {
      names.add(service.team);
      for (const team of Object.values(service.report?.teams ?? {})) names.add(team);
    }
    return [...names].sort((a, b) => a.localeCompare(b));
  }

  async queue(
    staff: Staff,
    query: QueueQuery,
    pageSize = QUEUE_PAGE_SIZE,
  ): Promise<{ cases: Case[]; more: boolean }> {
    const search = query.search?.trim();
    if (search && !REFERENCE.test(search) && !search.includes('@') && !query.near)
      throw new ValidationError(
        'Enter a reference like PTH-4F7K-92QX, an email address, or a street or postcode in the county',
        'search',
      );
    const found = search && REFERENCE.test(search) ? await this.cases.getByRef(search) : undefined;
    const near = query.near
      ? (await this.cases.near(query.near, NEAR_METRES, { limit: 1000 })).map((r) => r.case.id)
      : undefined;
    const rows = await this.cases.queue({
      team: query.team,
      serviceCode: query.service,
      status: query.overdue ? 'open' : query.status,
      assigneeId: query.assigned === 'me' ? staff.id : query.assigned === 'none' ? null : undefined,
      overdueAt: query.overdue ? this.clock().toISOString() : undefined,
      contactEmail: search?.includes('@') ? search.toLowerCase() : undefined,
      ids: search && REFERENCE.test(search) ? (found ? [found.id] : []) : near,
      sort: query.sort,
      limit: pageSize + 1,
      offset: (query.page - 1) * pageSize,
    });
    return { cases: rows.slice(0, pageSize), more: rows.length > pageSize };
  }

  /**
   * Every case in a filtered list, a page at a time, for the CSV export; at most `limit`, so
   * one export can never hold the database for long.
   */
  async *everyCase(staff: Staff, query: QueueQuery, limit = EXPORT_LIMIT): AsyncGenerator<Case> {
    let given = 0;
    for (let page = 1; given < limit; page++) {
      const { cases, more } = await this.queue(staff, { ...query, page }, EXPORT_PAGE_SIZE);
      for (const found of cases) {
        if (given++ >= limit) return;
        yield found;
      }
      if (!more) return;
    }
  }

  /** Open cases by status and overdue, for a team's dashboard. */
  async dashboard(team: string | undefined) {
    const counts = await this.cases.openCounts(team);
    const rows = counts.byStatus
      .map(({ kind, status, n }) => ({
        kind: CASE_KINDS[kind as CaseKindName].noun,
        status: statusDefinition(kind as CaseKindName, status)?.label ?? status,
        n,
      }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || b.n - a.n);
    return { rows, open: rows.reduce((sum, row) => sum + row.n, 0), overdue: counts.overdue };
  }

  /**
   * The same change to each selected case, each in its own transaction: one that may not be
   * changed, or cannot take that status, is reported and the others still go ahead.
   */
  async bulk(
    staff: Staff,
    refs: string[],
    change: { status?: string; publicText?: string; assigneeId?: string },
  ): Promise<{ ref: string; done: boolean; message: string }[]> {
    if (refs.length === 0) throw new ValidationError('Select at least one case', 'refs');
    if (refs.length > QUEUE_PAGE_SIZE)
      throw new ValidationError(`Select up to ${QUEUE_PAGE_SIZE} cases at a time`, 'refs');
    if (!change.status && change.assigneeId === undefined)
      throw new ValidationError('Choose what to change', 'bulkAction');
    const results = [];
    for (const ref of refs) {
      try {
        const found = await this.caseByRef(ref);
        const version = found.updatedAt.toISOString();
        if (change.status)
          await this.changeStatus(staff, ref, {
            status: change.status,
            publicText: change.publicText ?? '',
            version,
          });
        else await this.assign(staff, ref, { assigneeId: change.assigneeId ?? '', version });
        results.push({ ref, done: true, message: change.status ? 'Status changed' : 'Assigned' });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results.push({ ref, done: false, message: err.message });
      }
    }
    return results;
  }

  async caseByRef(ref: string): Promise<Case> {
    const found = await this.cases.getByRef(ref).catch(() => undefined);
    if (!found) throw new NotFoundError('There is no case with that reference.');
    return found;
  }

  /** Staff a case can be assigned to: its team's officers and leads. */
  async assignable(team: string | null) {
    return (await this.accounts.staff()).filter(
      (s) => (s.role === 'officer' || s.role === 'lead') && s.team === team && team !== null,
    );
  }

  // ---- Working a case ---------------------------------------------------------------------

  async changeStatus(
    staff: Staff,
    ref: string,
    input: { status: string; publicText: string; version: string },
  ): Promise<void> {
    const found = await this.caseFor(staff, ref, 'change');
    const next = statusDefinition(found.kind, input.status);
    if (!next)
      throw new ValidationError(
        `Choose a status for this ${CASE_KINDS[found.kind].noun}`,
        'status',
      );
    const text = input.publicText.trim();
    if (input.status === found.status && !text)
      throw new ValidationError(
        'Choose a new status, or write an update for the resident',
        'status',
      );
    await this.change(
      staff,
      found,
      input.version,
      (cases) =>
        cases.updateForResident(
          found.id,
          { status: input.status, text: text || null },
          actorOf(staff),
        ),
      {
        action: input.status === found.status ? 'case.update' : 'case.status',
        before: { status: found.status },
        after: { status: input.status, ...(text ? { publicText: text } : {}) },
      },
    );
  }

  async addNote(staff: Staff, ref: string, input: { text: string; version: string }) {
    const found = await this.caseFor(staff, ref, 'note');
    const text = input.text.trim();
    if (!text) throw new ValidationError('Write the note', 'note');
    if (text.length > 5000) throw new ValidationError('Keep the note to 5,000 characters', 'note');
    await this.change(
      staff,
      found,
      input.version,
      async (cases) => {
        await cases.recordEvent(found.id, {
          type: 'internal_note',
          actor: actorOf(staff),
          public: false,
          body: text,
        });
      },
      {
        action: 'case.note',
        after: { note: text },
      },
    );
  }

  async assign(staff: Staff, ref: string, input: { assigneeId: string; version: string }) {
    const found = await this.caseFor(staff, ref, 'change');
    let assignee: { id: number; name: string } | null = null;
    if (input.assigneeId) {
      const person = (await this.assignable(found.team)).find(
        (s) => String(s.id) === input.assigneeId,
      );
      if (!person) throw new ValidationError('Choose someone in the case’s team', 'assignee');
      assignee = { id: person.id, name: person.name ?? person.email };
    }
    await this.change(
      staff,
      found,
      input.version,
      async (cases) => {
        await cases.assign(found.id, assignee, actorOf(staff));
      },
      {
        action: 'case.assign',
        before: { assigneeId: found.assigneeId },
        after: { assigneeId: assignee?.id ?? null },
      },
    );
  }

  async setDueDate(staff: Staff, ref: string, input: { due: string; version: string }) {
    const found = await this.caseFor(staff, ref, 'change');
    let due: Date | null = null;
    if (input.due.trim()) {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.due.trim());
      const date = match ? new Date(`${input.due.trim()}T17:00:00Z`) : undefined;
      if (
        !date ||
        Number.isNaN(date.getTime()) ||
        date.toISOString().slice(0, 10) !== input.due.trim()
      )
        throw new ValidationError('Enter a real date, like 2026-12-18', 'due');
      due = date;
    }
    await this.change(
      staff,
      found,
      input.version,
      async (cases) => {
        await cases.setDueDate(found.id, due, actorOf(staff));
      },
      {
        action: 'case.due',
        before: { dueAt: found.dueAt?.toISOString() ?? null },
        after: { dueAt: due?.toISOString() ?? null },
      },
    );
  }

  async moveToTeam(staff: Staff, ref: string, input: { team: string; version: string }) {
    const found = await this.caseFor(staff, ref, 'change');
    if (!this.teams().includes(input.team))
      throw new ValidationError('Choose a team from the list', 'team');
    if (input.team === found.team)
      throw new ValidationError('It is already with that team', 'team');
    await this.change(
      staff,
      found,
      input.version,
      async (cases) => {
        await cases.moveToTeam(found.id, input.team, actorOf(staff));
      },
      {
        action: 'case.team',
        before: { team: found.team, assigneeId: found.assigneeId },
        after: { team: input.team, assigneeId: null },
      },
    );
  }

  /** Services a case may move to: the same kind of case, e.g. another report category. */
  servicesLike(found: Case) {
    return this.catalogue.services
      .filter((s) => s.kind !== 'external' && s.caseKind === found.kind)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async moveToService(staff: Staff, ref: string, input: { service: string; version: string }) {
    const found = await this.caseFor(staff, ref, 'change');
    const service = this.servicesLike(found).find((s) => s.code === input.service);
    if (!service) throw new ValidationError('Choose a category from the list', 'service');
    if (service.code === found.serviceCode)
      throw new ValidationError('It is already in that category', 'service');
    // A report goes to the new category's team for its part of the county.
    const area = (found.data as { location?: { area?: string | null } }).location?.area ?? null;
    const team = service.kind === 'report' ? this.reports.teamFor(service, area) : service.team;
    await this.change(
      staff,
      found,
      input.version,
      async (cases) => {
        await cases.moveToService(
          found.id,
          { code: service.code, name: service.name, team },
          actorOf(staff),
        );
      },
      {
        action: 'case.service',
        before: { service: found.serviceCode, team: found.team },
        after: { service: service.code, team },
      },
    );
  }

  /** Its followers follow the original from now on; the resident is told which one. */
  async markDuplicate(staff: Staff, ref: string, input: { original: string; version: string }) {
    const found = await this.caseFor(staff, ref, 'change');
    const wanted = input.original.trim().toUpperCase();
    if (!REFERENCE.test(wanted))
      throw new ValidationError(
        'Enter the reference of the case it duplicates, like PTH-4F7K-92QX',
        'original',
      );
    const original = await this.cases.getByRef(wanted).catch(() => undefined);
    if (!original) throw new ValidationError(`There is no case ${wanted}`, 'original');
    await this.change(
      staff,
      found,
      input.version,
      (cases) => cases.markDuplicate(found.id, original.id, actorOf(staff)),
      (moved) => ({
        action: 'case.duplicate',
        before: { status: found.status },
        after: { status: 'duplicate', duplicateOf: original.ref, followersMoved: moved },
      }),
    );
  }

  /** Takes a report off the public site (abusive, personal details…), with the reason for staff. */
  async hideReport(staff: Staff, ref: string, input: { reason: string; version: string }) {
    const found = await this.caseFor(staff, ref, 'change');
    if (found.kind !== 'report')
      throw new ValidationError('Only reports are shown in public', 'reason');
    const reason = input.reason.trim();
    if (!reason) throw new ValidationError('Say why it is hidden', 'reason');
    await this.change(
      staff,
      found,
      input.version,
      async (cases) => {
        await this.reports.with(cases).hide(found, actorOf(staff), reason);
      },
      {
        action: 'case.hide',
        before: { status: found.status },
        after: { status: 'hidden', reason },
      },
    );
  }

  async setPhotoShown(
    staff: Staff,
    ref: string,
    input: { photo: string; shown: boolean; version: string },
  ) {
    const found = await this.caseFor(staff, ref, 'change');
    await this.change(
      staff,
      found,
      input.version,
      async (cases) => {
        await this.reports
          .with(cases)
          .setPhotoShown(found, input.photo, input.shown, actorOf(staff));
      },
      {
        action: input.shown ? 'case.photo.show' : 'case.photo.hide',
        after: { photo: input.photo },
      },
    );
  }

  photos(found: Case) {
    return found.kind === 'report' ? this.reports.photosForStaff(found) : Promise.resolve([]);
  }

  // ---- The contact log (agents) -----------------------------------------------------------

  /** A call or visit that made no case: what it was about, and how it ended. */
  async logContact(
    staff: Staff,
    input: {
      channel: string;
      service: string;
      outcome: string;
      couldBeOnline: string;
      note: string;
    },
  ): Promise<void> {
    const errors: { field: string; message: string }[] = [];
    if (!(CONTACT_CHANNELS as readonly string[]).includes(input.channel))
      errors.push({ field: 'channel', message: 'Choose how they contacted us' });
    if (input.service && !this.catalogue.byCode(input.service))
      errors.push({ field: 'service', message: 'Choose a service from the list' });
    if (!(input.outcome in CONTACT_OUTCOMES))
      errors.push({ field: 'outcome', message: 'Choose what happened' });
    if (input.couldBeOnline !== 'yes' && input.couldBeOnline !== 'no')
      errors.push({
        field: 'couldBeOnline',
        message: 'Say whether they could have done it online',
      });
    if (input.note.length > 1000)
      errors.push({ field: 'note', message: 'Keep the note to 1,000 characters' });
    if (errors.length) throw ValidationError.forFields(errors);
    await this.db.transaction().execute(async (trx) => {
      const now = this.clock();
      const row = await trx
        .insertInto('contact_log')
        .values({
          at: now.toISOString(),
          agent_id: staff.id,
          channel: input.channel,
          service_code: input.service || null,
          outcome: input.outcome,
          could_be_online: input.couldBeOnline === 'yes' ? 1 : 0,
          note: input.note.trim() || null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await audit(
        trx,
        {
          actor: staff,
          action: 'contact.log',
          target: { type: 'contact', id: String(row.id) },
          after: { channel: input.channel, service: input.service || null, outcome: input.outcome },
        },
        now,
      );
    });
  }

  recentContacts(staff: Staff, limit = 20) {
    return this.db
      .selectFrom('contact_log')
      .selectAll()
      .where('agent_id', '=', staff.id)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  // ---- Staff accounts and the audit log (administrators) ---------------------------------

  staff() {
    return this.accounts.staff();
  }

  async setStaffRole(
    admin: Staff,
    input: { name: string; email: string; role: StaffRole | 'resident'; team: string | null },
  ): Promise<void> {
    if (admin.role !== 'admin') throw new ForbiddenError();
    if (input.team !== null && !this.teams().includes(input.team))
      throw new ValidationError('Choose a team from the list', 'team');
    const { accountId, before } = await this.accounts.setStaffRole(input);
    await audit(
      this.db,
      {
        actor: admin,
        action: before ? 'staff.role' : 'staff.create',
        target: { type: 'account', id: String(accountId) },
        before,
        after: { email: input.email.trim().toLowerCase(), role: input.role, team: input.team },
      },
      this.clock(),
    );
  }

  /** A service's team and SLA, over the catalogue file's. */
  async setServiceSettings(
    admin: Staff,
    code: string,
    input: { team: string; slaDays: string },
  ): Promise<void> {
    requireAdmin(admin);
    const current = this.settings.describe(code);
    if (!current) throw new NotFoundError('There is no such service.');
    const errors: { field: string; message: string }[] = [];
    const team = input.team.trim().replace(/\s+/g, ' ');
    if (!team) errors.push({ field: 'team', message: 'Enter the team that handles it' });
    else if (team.length > 80)
      errors.push({ field: 'team', message: 'Keep the team name to 80 characters' });
    const slaDays = /^\d{1,3}$/.test(input.slaDays.trim()) ? Number(input.slaDays.trim()) : NaN;
    if (Number.isNaN(slaDays) || slaDays > 365)
      errors.push({
        field: 'slaDays',
        message: 'Enter the working days as a whole number from 0 to 365',
      });
    if (errors.length) throw ValidationError.forFields(errors);
    await this.settings.setService(code, { team, slaDays });
    await audit(
      this.db,
      {
        actor: admin,
        action: 'service.settings',
        target: { type: 'service', id: code },
        before: { team: current.now.team, slaDays: current.now.slaDays },
        after: { team, slaDays },
      },
      this.clock(),
    );
  }

  /** What a transaction costs on each channel, in pence, for the channel-shift figures. */
  async setUnitCosts(admin: Staff, input: Record<string, string>): Promise<void> {
    requireAdmin(admin);
    const before = this.settings.unitCosts();
    const costs = { ...before };
    const errors: { field: string; message: string }[] = [];
    for (const channel of CHANNELS) {
      const given = (input[channel] ?? '').trim().replace(/^£/, '');
      if (!/^\d{1,4}(\.\d{1,2})?$/.test(given)) {
        errors.push({ field: channel, message: `Enter the cost in pounds and pence, like 2.83` });
        continue;
      }
      costs[channel] = Math.round(Number(given) * 100);
    }
    if (errors.length) throw ValidationError.forFields(errors);
    await this.settings.setUnitCosts(costs);
    await audit(
      this.db,
      {
        actor: admin,
        action: 'unit-costs',
        target: { type: 'council', id: 'unit costs' },
        before,
        after: costs,
      },
      this.clock(),
    );
  }

  auditLog(filters: AuditFilters, limit: number) {
    return auditLog(this.db, filters, limit);
  }

  /**
   * One change to a case, in one transaction: first the version the officer saw is claimed (so
   * a change made meanwhile is never overwritten), then the work, then its audit entry.
   */
  private change<R>(
    staff: Staff,
    found: Case,
    version: string,
    work: (cases: CaseService) => Promise<R>,
    audited: Audited | ((result: R) => Audited),
  ): Promise<void> {
    return this.cases.transaction(async (cases, trx) => {
      await cases.claimVersion(found.id, version);
      const result = await work(cases);
      await audit(
        trx,
        {
          actor: staff,
          target: { type: 'case', id: found.ref },
          ...(typeof audited === 'function' ? audited(result) : audited),
        },
        this.clock(),
      );
    });
  }

  /** The case, if this member of staff may do this to it. */
  private async caseFor(staff: Staff, ref: string, what: 'change' | 'note'): Promise<Case> {
    const found = await this.caseByRef(ref);
    if (what === 'change' && !mayChange(staff, found))
      throw new ForbiddenError(
        staff.role === 'agent'
          ? 'Contact centre agents can add notes, but not change a case.'
          : `This case is with ${found.team ?? 'no team'}. You can change your own team’s cases.`,
      );
    return found;
  }
}

export function actorOf(staff: Staff): Actor {
  return { type: 'staff', id: staff.id, name: staff.name };
}
