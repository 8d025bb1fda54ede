import type { Kysely } from 'kysely';
import type { Council } from '../../platform/config.js';
import type { DB } from '../../platform/db/types.js';
import type { Point } from '../../platform/geo/geo.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import type { Actor, Case, CaseService } from '../cases/service.js';
import { CASE_KINDS } from '../cases/kinds.js';
import { InvalidReferenceError } from '../cases/reference.js';
import { addWorkingDays } from '../cases/sla.js';
import { questionsOf, type Page, type ServiceDefinition } from '../catalogue/definition.js';
import type { CatalogueService } from '../catalogue/service.js';
import { answeredQuestions } from '../forms/service.js';
import type { Channel } from '../../platform/config.js';
import type { DraftLocation, ReportContact } from './draft.js';
import type { StoredPhoto } from './photos.js';
import type { Answers } from '../forms/journey.js';

/** A Report It category: a `kind: report` service of the catalogue. */
export type Category = ServiceDefinition;

/** Every report status the public may see: all but "hidden" (withdrawn, or hidden by staff). */
export const PUBLIC_STATUSES = Object.keys(CASE_KINDS.report.statuses).filter(
  (status) => status !== 'hidden',
);

/** How many reports of the same problem nearby a resident is shown before sending. */
export const NEARBY_SHOWN = 5;

/**
 * Work another module does when a report is opened, in the transaction that opens it (sending
 * it on to another council system, say), so the report and that work exist together or not at all.
 */
export type ReportOpenedHook = (opened: Case, trx: Kysely<DB>) => Promise<void>;

/** What a report is made of, however it arrives (the web journey, the app, the API). */
export interface NewReport {
  /** Idempotency: sending the same id twice opens one case. */
  id: string;
  category: Category;
  location: DraftLocation;
  area: string | null;
  answers: Answers;
  description: string | null;
  photos: StoredPhoto[];
  contact: ReportContact | null;
  accountId: number | null;
  channel: Channel;
  actor: Actor;
  /** A photo elsewhere on the web, sent by another system (Open311's media_url); linked, never fetched. */
  mediaUrl?: string | null;
}

/** What the report page shows about a photo; the storage keys stay private. */
export interface ReportPhoto {
  id: string;
  width: number;
  height: number;
}

/** The public side of a report: never the reporter's contact details. */
export interface PublicReport {
  ref: string;
  category: string;
  categoryName: string;
  status: string;
  statusLabel: string;
  open: boolean;
  /** Null only for reports taken without a point, e.g. by phone. */
  location: (Point & { label: string }) | null;
  description: string | null;
  details: { question: string; answer: string[] }[];
  photos: ReportPhoto[];
  reportedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Set by staff when they know when it will be fixed. */
  expectedFixDate: string | null;
  /** A link to a photo another system sent with the report. */
  mediaUrl: string | null;
}

/** "Report a pothole" → "Pothole": what a report of this category is called. */
export function categoryName(category: Category): string {
  const rest = category.name.replace(/^Report (an? )?/i, '');
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

/**
 * Every question of a category on one page, so a report stays a few quick steps. A field
 * on a page with a condition takes that condition, so "which property?" still only
 * applies when the drain floods a property.
 */
export function questionsPage(category: Category): Page {
  return {
    id: 'details',
    title: `Tell us about the ${categoryName(category).toLowerCase()}`,
    fields: questionsOf(category),
  };
}

/**
 * Report It's domain: categories, routing, duplicates and opening the case. HTTP lives in
 * index.ts and api.ts; this is shared by the web journey, the API and (later) the app.
 */
export class ReportService {
  constructor(
    private readonly cases: CaseService,
    private readonly catalogue: CatalogueService,
    private readonly council: Council,
    private readonly whenOpened: ReportOpenedHook[] = [],
  ) {}

  /** The same service working through `cases`, e.g. one bound to the caller's transaction. */
  with(cases: CaseService): ReportService {
    return new ReportService(cases, this.catalogue, this.council, this.whenOpened);
  }

  /** Every photo of a report, with whether the public can see it, for staff. */
  async photosForStaff(found: Case): Promise<(Omit<StoredPhoto, 'bytes'> & { shown: boolean })[]> {
    const shown = new Set((await this.visiblePhotos(found)).map((p) => p.id));
    return ((found.data as ReportData).photos ?? []).map((p) => ({ ...p, shown: shown.has(p.id) }));
  }

  categories(): Category[] {
    return this.catalogue.services.filter((s) => s.kind === 'report');
  }

  category(code: string | undefined): Category | undefined {
    // A retired category takes no new reports; its old ones are still found by their case.
    const found = code ? this.catalogue.offered(code) : undefined;
    return found?.kind === 'report' ? found : undefined;
  }

  /** The category a report was made in, even if it has since been retired. */
  categoryOfCase(found: Case): Category | undefined {
    const category = this.catalogue.byCode(found.serviceCode);
    return category?.kind === 'report' ? category : undefined;
  }

  radiusFor(category: Category): number {
    return category.report?.radius ?? this.council.reporting.nearbyRadius;
  }

  /** The report a typed reference names; a 404 that says so plainly for anything else, malformed included. */
  async byRef(ref: string): Promise<Case> {
    let found: Case | undefined;
    try {
      found = await this.cases.getByRef(ref);
    } catch (err) {
      if (!(err instanceof InvalidReferenceError)) throw err;
    }
    if (found?.kind !== 'report') throw new NotFoundError(`There is no report ${ref}.`);
    return found;
  }

  /** Open reports of the same problem near a point, nearest first: "is it one of these?". */
  async nearbyOpen(category: Category, point: Point) {
    return this.cases.near(point, this.radiusFor(category), {
      kind: 'report',
      serviceCodes: [category.code],
      state: 'open',
      limit: NEARBY_SHOWN,
    });
  }

  /** The team that fixes this category here: a local team for the area, or the service's own. */
  teamFor(category: Category, area: string | null): string {
    return (area && category.report?.teams[area]) || category.team;
  }

  async submit(report: NewReport, now = new Date()): Promise<Case> {
    const idempotencyKey = `report:${report.id}`;
    const sent = await this.cases.getByIdempotencyKey(idempotencyKey);
    if (sent) return sent;
    try {
      return await this.open(report, idempotencyKey, now);
    } catch (err) {
      // A second Send raced the first and lost on the unique key: the first one's case is the answer.
      const winner = await this.cases.getByIdempotencyKey(idempotencyKey);
      if (winner) return winner;
      throw err;
    }
  }

  private open(report: NewReport, idempotencyKey: string, now: Date): Promise<Case> {
    const { category, location } = report;
    return this.cases.transaction(async (cases, trx) => {
      const opened = await cases.openCase({
        serviceCode: category.code,
        refPrefix: category.refPrefix,
        kind: 'report',
        channel: report.channel,
        title: `${categoryName(category)}, ${location.label.replace(/^Near /, 'near ')}`,
        data: {
          serviceVersion: category.version,
          answers: answeredQuestions(category, report.answers),
          description: report.description,
          location: { label: location.label, source: location.source, area: report.area },
          photos: report.photos.map(({ id, width, height, renditions }) => ({
            id,
            width,
            height,
            renditions,
          })),
          showName: report.contact?.showName ?? false,
          ...(report.mediaUrl ? { mediaUrl: report.mediaUrl } : {}),
        },
        accountId: report.accountId,
        contact: report.contact
          ? {
              name: report.contact.name,
              // A report from another system may come with a name or phone but no email.
              email: report.contact.email || null,
              phone: report.contact.phone,
            }
          : {},
        location: { lat: location.lat, lng: location.lng },
        team: this.teamFor(category, report.area),
        dueAt: category.sla.days > 0 ? addWorkingDays(now, category.sla.days) : null,
        actor: report.actor,
        idempotencyKey,
      });
      for (const [index, photo] of report.photos.entries()) {
        await cases.attach(
          opened.id,
          {
            storageKey: photo.renditions.full,
            filename: `photo-${String(index + 1)}.jpg`,
            contentType: 'image/jpeg',
            bytes: photo.bytes,
            public: true,
          },
          report.actor,
        );
      }
      for (const hook of this.whenOpened) await hook(opened, trx);
      return opened;
    });
  }

  /**
   * Follow an existing report instead of reporting it again: the resident gets its updates,
   * and staff see one more person reported it.
   */
  async follow(ref: string, who: { email: string | null; accountId: number | null }) {
    const found = await this.cases.getByRef(ref);
    if (found?.kind !== 'report') throw new NotFoundError(`There is no report ${ref}.`);
    await this.cases.transaction(async (cases) => {
      await cases.subscribe(found.id, who);
      await cases.recordEvent(found.id, {
        type: 'internal_note',
        actor: { type: 'resident', id: who.accountId },
        public: false,
        body: 'Also reported by another resident, who is now following this report.',
        data: { alsoReported: true },
      });
    });
    return found;
  }

  /** A report as anyone may see it, or undefined if the reference is not a report. */
  async publicReport(found: Case): Promise<PublicReport | undefined> {
    if (found.kind !== 'report' || found.status === 'hidden') return undefined;
    const category = this.categoryOfCase(found);
    const data = found.data as ReportData;
    return {
      ref: found.ref,
      category: found.serviceCode,
      categoryName: category ? categoryName(category) : found.title,
      status: found.status,
      statusLabel: found.statusLabel,
      open: found.open311 === 'open',
      location: found.location
        ? { ...found.location, label: data.location?.label ?? found.title }
        : null,
      description: data.description ?? null,
      details: (data.answers ?? []).map(({ question, answer }) => ({ question, answer })),
      photos: (await this.visiblePhotos(found)).map(({ id, width, height }) => ({
        id,
        width,
        height,
      })),
      reportedBy: data.showName && found.contact.name ? found.contact.name : null,
      createdAt: found.createdAt,
      updatedAt: found.updatedAt,
      expectedFixDate: data.expectedFixDate ?? null,
      mediaUrl: data.mediaUrl ?? null,
    };
  }

  // ---- The reporter, through the link in their emails -------------------------------

  /** Shows or hides the reporter's name on the public report. */
  async setShowName(found: Case, show: boolean): Promise<Case> {
    return this.cases.updateData(
      found.id,
      { showName: show },
      {
        type: 'internal_note',
        actor: { type: 'resident' },
        public: false,
        body: show
          ? 'The reporter chose to show their name on the public report.'
          : 'The reporter chose to hide their name on the public report.',
      },
    );
  }

  /** The reporter takes their report down; staff still have it, and see why. */
  async withdraw(found: Case, reason: string | null): Promise<void> {
    await this.cases.transaction(async (cases) => {
      await cases.recordEvent(found.id, {
        type: 'internal_note',
        actor: { type: 'resident' },
        public: false,
        body: `Withdrawn by the reporter.${reason ? ` Their reason: ${reason}` : ''}`,
        data: { withdrawn: true },
      });
      await cases.changeStatus(
        found.id,
        'hidden',
        { type: 'resident' },
        {
          publicText: 'The report was withdrawn by the person who made it.',
        },
      );
    });
  }

  /** "Is it fixed?" — no: the report opens again, and staff see the reporter's reason. */
  async reopen(found: Case, reason: string): Promise<void> {
    await this.cases.transaction(async (cases) => {
      await cases.recordEvent(found.id, {
        type: 'internal_note',
        actor: { type: 'resident' },
        public: false,
        body: `The reporter says it is not fixed: ${reason}`,
        data: { reopened: true },
      });
      await cases.changeStatus(
        found.id,
        'confirmed',
        { type: 'resident' },
        {
          publicText: 'Reopened: the person who reported this says it is not fixed.',
        },
      );
    });
  }

  /** "Is it fixed?" — yes: recorded for staff, nothing changes. */
  async confirmFixed(found: Case): Promise<void> {
    await this.cases.recordEvent(found.id, {
      type: 'internal_note',
      actor: { type: 'resident' },
      public: false,
      body: 'The reporter confirmed it is fixed.',
      data: { confirmedFixed: true },
    });
  }

  // ---- Staff -------------------------------------------------------------------------

  /** Staff take a report off public pages (abuse, personal details), saying why internally. */
  async hide(found: Case, staff: Actor, reason: string): Promise<void> {
    await this.cases.transaction(async (cases) => {
      await cases.recordEvent(found.id, {
        type: 'internal_note',
        actor: staff,
        public: false,
        body: `Report hidden: ${reason}`,
        data: { hidden: true },
      });
      await cases.changeStatus(found.id, 'hidden', staff, {
        publicText: 'This report has been hidden by the council.',
      });
    });
  }

  /**
   * Staff change the public description (e.g. to remove someone's name). The resident's
   * original words are kept, and the change is on the internal timeline with both versions.
   */
  async editDescription(found: Case, description: string, staff: Actor): Promise<Case> {
    const data = found.data as ReportData;
    const before = data.description ?? null;
    return this.cases.updateData(
      found.id,
      {
        description,
        // Only the first edit records the original: later ones keep what the resident wrote.
        originalDescription: data.originalDescription ?? before,
      },
      {
        type: 'internal_note',
        actor: staff,
        public: false,
        body: 'Public description edited.',
        data: { before, after: description },
      },
    );
  }

  /** Staff say when they expect it to be fixed; the reporter and followers are told. */
  async setExpectedFixDate(found: Case, date: string, staff: Actor): Promise<Case> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date)))
      throw new ValidationError('Enter the expected fix date as a real date', 'expectedFixDate');
    const readable = new Date(date).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    });
    return this.cases.updateData(
      found.id,
      { expectedFixDate: date },
      {
        type: 'public_update',
        actor: staff,
        public: true,
        body: `We expect to fix this by ${readable}.`,
        data: { expectedFixDate: date },
      },
    );
  }

  /** Staff hide one photo from public pages (or show it again). */
  async setPhotoShown(found: Case, photoId: string, shown: boolean, staff: Actor): Promise<void> {
    const photo = ((found.data as ReportData).photos ?? []).find((p) => p.id === photoId);
    if (!photo) throw new NotFoundError('That report has no such photo.');
    await this.cases.setAttachmentPublic(found.id, photo.renditions.full, shown, staff);
  }

  /** The photos of a report that staff have not hidden. */
  async visiblePhotos(found: Case): Promise<Omit<StoredPhoto, 'bytes'>[]> {
    const shown = new Set(
      (await this.cases.attachments(found.id))
        .filter((a) => a.public === 1)
        .map((a) => a.storage_key),
    );
    return ((found.data as ReportData).photos ?? []).filter((p) => shown.has(p.renditions.full));
  }
}

export type Rendition = keyof StoredPhoto['renditions'];
export const RENDITIONS: readonly Rendition[] = ['thumb', 'display', 'full'];

/** What a report case keeps in `data`, beyond the form engine's answers. */
interface ReportData {
  answers?: { question: string; answer: string[] }[];
  description?: string | null;
  location?: { label?: string };
  photos?: Omit<StoredPhoto, 'bytes'>[];
  showName?: boolean;
  expectedFixDate?: string;
  mediaUrl?: string;
  /** The resident's own words, kept when staff edit the public description. */
  originalDescription?: string | null;
}
