import {
  CATEGORIES,
  catalogueOf,
  type Catalogue,
  type ServiceDefinition,
  type ServiceKind,
} from './definition.js';
import { ServiceSearch, type ServiceMatch } from './search.js';

/**
 * Kinds of service whose journey can be done online today. Each journey module (the form
 * engine, Report It, library, school admissions, event booking) adds its kind when it ships;
 * until then the start page says how to do it by phone instead of offering a dead end.
 */
const ONLINE_KINDS = new Set<ServiceKind>(['external', 'form', 'report']);

export function isOnline(service: ServiceDefinition): boolean {
  return ONLINE_KINDS.has(service.kind);
}

/** Where a service's journey begins: on this site, or elsewhere for external services. */
export function startUrl(service: ServiceDefinition): string | null {
  if (!isOnline(service)) return null;
  if (service.kind === 'external' && service.url) return service.url;
  if (service.kind === 'report') return `/report?category=${service.code}`;
  return `/services/${service.code}/start`;
}

/**
 * The service catalogue: every service the council offers, and finding the right one. The
 * council's files are the base; administrators add and change report categories over them
 * in the back office (settings.ts loads those and calls `rebuild` on every node).
 */
export class CatalogueService {
  private readonly files: ServiceDefinition[];
  /** Files with administrators' definitions in place of theirs: before any team or SLA setting. */
  private bases = new Map<string, ServiceDefinition>();
  private retired: ReadonlySet<string> = new Set();
  private catalogue!: Catalogue;
  private finder!: ServiceSearch;

  constructor(catalogue: Catalogue) {
    this.files = catalogue.services;
    this.rebuild([], new Set());
  }

  /**
   * Puts administrators' definitions over the files' (same code replaces, a new code adds)
   * and retires the codes given. Services in use are fresh copies, so a setting applied to
   * one (settings.ts) never changes the base it came from.
   */
  rebuild(definitions: ServiceDefinition[], retired: ReadonlySet<string>): void {
    this.bases = new Map([...this.files, ...definitions].map((s) => [s.code, s]));
    this.retired = retired;
    this.catalogue = catalogueOf(
      [...this.bases.values()].map((s) => structuredClone(s)),
      retired,
    );
    this.finder = new ServiceSearch(this.catalogue.services);
  }

  get services(): ServiceDefinition[] {
    return this.catalogue.services;
  }

  get categories() {
    return this.catalogue.categories;
  }

  /** Any service, retired ones included (their cases still name them). */
  byCode(code: string): ServiceDefinition | undefined {
    return this.catalogue.byCode(code);
  }

  /** A service as its file or its administrator defined it, before team and SLA settings. */
  base(code: string): ServiceDefinition | undefined {
    return this.bases.get(code);
  }

  /** Whether it comes from the council's files (administrators may change, not delete, those). */
  inFiles(code: string): boolean {
    return this.files.some((s) => s.code === code);
  }

  /** A service people can use now: not retired. */
  offered(code: string): ServiceDefinition | undefined {
    return this.retired.has(code) ? undefined : this.byCode(code);
  }

  isRetired(code: string): boolean {
    return this.retired.has(code);
  }

  /** Every service, retired ones included, e.g. for the administrators' list. */
  everyService(): ServiceDefinition[] {
    return [...this.bases.keys()].flatMap((code) => this.byCode(code) ?? []);
  }

  search(query: string): ServiceMatch[] {
    return this.finder.search(query);
  }

  /** Services grouped by first letter, for the A to Z list. */
  alphabetical(): { letter: string; services: ServiceDefinition[] }[] {
    const groups = new Map<string, ServiceDefinition[]>();
    for (const service of this.catalogue.services) {
      const letter = service.name.charAt(0).toUpperCase();
      groups.set(letter, [...(groups.get(letter) ?? []), service]);
    }
    return [...groups].map(([letter, services]) => ({ letter, services }));
  }

  /** The public description of a service, as the API gives it. */
  describe(service: ServiceDefinition) {
    return {
      code: service.code,
      name: service.name,
      summary: service.summary,
      category: service.category,
      category_name: CATEGORIES[service.category],
      keywords: service.keywords,
      kind: service.kind,
      team: service.team,
      sla_days: service.sla.days,
      online: isOnline(service),
      start_url: startUrl(service),
      start: service.start,
    };
  }
}
