import MiniSearch, { type SearchResult } from 'minisearch';
import { CATEGORIES, type ServiceDefinition } from './definition.js';

/** Words that carry no meaning in a search for a service. */
const STOP_WORDS = new Set([
  'a',
  'an',
  'and',
  'are',
  'at',
  'can',
  'do',
  'for',
  'how',
  'i',
  'in',
  'is',
  'it',
  'me',
  'my',
  'of',
  'on',
  'or',
  'the',
  'to',
  'want',
  'what',
  'where',
  'with',
  'you',
  'your',
]);

export interface ServiceMatch {
  service: ServiceDefinition;
  score: number;
}

/**
 * Finds services the way residents type: by name, keyword or summary, forgiving typos
 * ("libary"), split or joined words ("pot hole", "dropkerb") and word endings
 * ("renewing"). Names count most, then keywords, then the category and summary.
 */
export class ServiceSearch {
  private readonly index: MiniSearch<
    ServiceDefinition & { keywordText: string; categoryName: string }
  >;

  constructor(private readonly services: ServiceDefinition[]) {
    this.index = new MiniSearch({
      idField: 'code',
      fields: ['name', 'keywordText', 'categoryName', 'summary'],
      processTerm: (term) => {
        const word = term.toLowerCase().replace(/[’']/g, '');
        return STOP_WORDS.has(word) ? null : word;
      },
      searchOptions: {
        boost: { name: 4, keywordText: 3, categoryName: 1.5, summary: 1 },
        // One typo in words of 4–7 letters, two in longer ones; short words must be exact.
        fuzzy: (term) => (term.length >= 8 ? 0.25 : term.length >= 4 ? 0.2 : false),
        prefix: (term) => term.length >= 3,
        combineWith: 'OR',
      },
    });
    this.index.addAll(
      services.map((s) => ({
        ...s,
        keywordText: s.keywords.join(' '),
        categoryName: CATEGORIES[s.category],
      })),
    );
  }

  search(query: string, limit = 20): ServiceMatch[] {
    const words = (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(
      (w) => !STOP_WORDS.has(w),
    );
    if (words.length === 0) return [];
    // "pot hole" should find "pothole": also try each pair of neighbouring words joined.
    const joined = words.slice(1).map((word, i) => `${words[i] ?? ''}${word}`);
    const results: SearchResult[] = this.index.search([...words, ...joined].join(' '));
    const byCode = new Map(this.services.map((s) => [s.code, s]));
    return results.slice(0, limit).flatMap((r) => {
      const service = byCode.get(String(r.id));
      return service ? [{ service, score: r.score }] : [];
    });
  }
}
