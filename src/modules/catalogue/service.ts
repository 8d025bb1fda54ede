import {
  CATEGORIES,
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

/** The service catalogue: every service the council offers, and finding the right one. */
export class CatalogueService {
  private readonly finder: ServiceSearch;

  constructor(readonly catalogue: Catalogue) {
    this.finder = new ServiceSearch(catalogue.services);
  }

  get services(): ServiceDefinition[] {
    return this.catalogue.services;
  }

  get categories() {
    return this.catalogue.categories;
  }

  byCode(code: string): ServiceDefinition | undefined {
    return this.catalogue.byCode(code);
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
