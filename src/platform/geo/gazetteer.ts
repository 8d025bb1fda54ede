import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { CsvError, parse } from 'csv-parse';
import MiniSearch, { type Query } from 'minisearch';
import type { Logger } from 'pino';
import proj4 from 'proj4';
import { distanceMetres, type Point } from './geo.js';

/**
 * The street gazetteer: the streets, places, roads and postcodes residents search for to say
 * where a problem is, for people who cannot (or would rather not) use a map. Loaded from
 * Shire's simple CSV or from OS Open Names; both formats are described in docs/gazetteer.md.
 */

export type PlaceType = 'street' | 'place' | 'postcode' | 'road';
const PLACE_TYPES: readonly PlaceType[] = ['street', 'place', 'postcode', 'road'];

function isPlaceType(text: string): text is PlaceType {
  return (PLACE_TYPES as readonly string[]).includes(text);
}

export interface Place {
  /** Stable for the same CSV row across restarts, and URL-safe: it is a form's radio value. */
  id: string;
  name: string;
  type: PlaceType;
  locality: string | null;
  /** A full postcode, or for streets and roads possibly only the district ("WM1"). */
  postcode: string | null;
  /** Road number or name that other bodies are matched on: "A36", "Westmoor Canal Towpath". */
  road: string | null;
  point: Point;
  /** e.g. "High Street, Ashcombe" or "WM1 1AA" */
  label: string;
}

/** A gazetteer file that cannot be used; the message names the file and line. Stops start-up. */
export class GazetteerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GazetteerError';
  }
}

const FULL_POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$/;
const POSTCODE_DISTRICT = /^[A-Z]{1,2}\d[A-Z\d]?$/;
/** What someone part-way through typing a postcode has typed: "WM1", "WM1 1", "WM11A". */
const POSTCODE_START = /^[A-Z]{1,2}\d[A-Z\d]?(\d[A-Z]{0,2})?$/;

function compactPostcode(text: string): string {
  return text.replace(/\s+/g, '').toUpperCase();
}

/** "wm11aa" → "WM1 1AA"; null unless it is a whole postcode. */
function fullPostcode(text: string): string | null {
  const match = FULL_POSTCODE.exec(compactPostcode(text));
  return match ? `${match[1] ?? ''} ${match[2] ?? ''}` : null;
}

/** A whole postcode or just its district ("WM1"), as streets in OS Open Names carry. */
function postcodeOrDistrict(text: string): string | null {
  const district = compactPostcode(text);
  return fullPostcode(text) ?? (POSTCODE_DISTRICT.test(district) ? district : null);
}

/**
 * Abbreviations residents and data sets both use, indexed and searched as the full word.
 * "St" is "Saint" as often as "Street" ("St Mary's Road"), so it stands for both.
 */
const ABBREVIATIONS: Readonly<Record<string, string[]>> = {
  st: ['street', 'saint'],
  rd: ['road'],
  ave: ['avenue'],
  av: ['avenue'],
  ln: ['lane'],
  cl: ['close'],
  cres: ['crescent'],
  dr: ['drive'],
  gdns: ['gardens'],
  pl: ['place'],
  sq: ['square'],
  terr: ['terrace'],
  ct: ['court'],
};

/** Lower-case words without accents or apostrophes: "St. Mary's Frân" → st, marys, fran. */
function wordsOf(text: string): string[] {
  // Most names are plain ASCII: skip the (slow) accent stripping for them.
  // eslint-disable-next-line no-control-regex
  const plain = /^[\x00-\x7f]*$/.test(text) ? text : text.normalize('NFD').replace(/\p{M}/gu, '');
  return (
    plain
      .toLowerCase()
      .replace(/[’'.]/g, '')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

function expand(word: string): string[] {
  return ABBREVIATIONS[word] ?? [word];
}

/** Words in one canonical spelling, so "High St, Brindle" and "high street brindle" compare equal. */
function comparable(text: string): string {
  return wordsOf(text)
    .map((word) => expand(word)[0] ?? word)
    .join(' ');
}

function labelOf(name: string, type: PlaceType, locality: string | null): string {
  return type === 'postcode' || !locality || locality === name ? name : `${name}, ${locality}`;
}

/** Grid cells of 0.01° (about 1.1 km × 0.7 km here) for finding the nearest street quickly. */
const CELL_DEGREES = 0.01;
const METRES_PER_DEGREE_LAT = 111_320;

function cellKey(row: number, column: number): number {
  return (row + 9_000) * 40_000 + (column + 18_000);
}

function pushTo<K>(map: Map<K, Place[]>, key: K, place: Place): void {
  const list = map.get(key);
  if (list) list.push(place);
  else map.set(key, [place]);
}

/** A query for one word that matches any of its spellings. */
function anyOf(spellings: string[]): Query {
  return { combineWith: 'OR', queries: spellings };
}

function allOf(words: string[][]): Query {
  return { combineWith: 'AND', queries: words.map(anyOf) };
}

interface IndexedPlace {
  id: string;
  name: string;
  alternativeName: string;
  locality: string;
  road: string;
}

export class Gazetteer {
  private readonly places = new Map<string, Place>();
  private readonly index: MiniSearch<IndexedPlace>;
  /** Every indexed word, for correcting swapped letters ("hihg" → "high"). */
  private readonly vocabulary = new Set<string>();
  /** Postcode rows by postcode, and every place by the postcode it carries. */
  private readonly postcodeRows = new Map<string, Place>();
  private readonly byPostcode = new Map<string, Place[]>();
  /** Postcode rows' compact postcodes, sorted, for "starts with" look-ups. */
  private readonly sortedPostcodes: string[];
  private readonly grid = new Map<number, Place[]>();

  private constructor(
    places: Place[],
    /** Rows left out when loading, by reason (e.g. "blank"); logged at start-up. */
    readonly skipped: Readonly<Record<string, number>> = {},
    alternativeNames: ReadonlyMap<string, string> = new Map(),
  ) {
    this.index = new MiniSearch<IndexedPlace>({
      fields: ['name', 'alternativeName', 'locality', 'road'],
      tokenize: wordsOf,
      // Indexing only (searches use searchOptions.processTerm): also learns the vocabulary.
      processTerm: (term) => {
        const terms = expand(term);
        for (const t of terms) this.vocabulary.add(t);
        return terms;
      },
      searchOptions: {
        // Someone typing a town's name ("ashcomb") wants the town before its streets.
        boostDocument: (id) => (this.places.get(String(id))?.type === 'place' ? 1.5 : 1),
        tokenize: (text) => [text],
        processTerm: (term) => term,
        boost: { name: 3, alternativeName: 2, road: 2, locality: 1 },
        // One typo in words of 4–7 letters, two in longer ones; short words must be exact.
        fuzzy: (term) => (term.length >= 8 ? 0.25 : term.length >= 4 ? 0.2 : false),
        prefix: (term) => term.length >= 3,
      },
    });
    const documents: IndexedPlace[] = [];
    for (const place of places) {
      if (this.places.has(place.id)) throw new GazetteerError(`duplicate place id ${place.id}`);
      this.places.set(place.id, place);
      if (place.postcode) pushTo(this.byPostcode, place.postcode, place);
      if (place.type === 'postcode' && place.postcode) {
        this.postcodeRows.set(place.postcode, place);
      } else {
        // Postcodes are found by their own rules in search(), not as words.
        documents.push({
          id: place.id,
          name: place.name,
          alternativeName: alternativeNames.get(place.id) ?? '',
          locality: place.locality ?? '',
          road: place.road ?? '',
        });
      }
      const key = cellKey(
        Math.floor(place.point.lat / CELL_DEGREES),
        Math.floor(place.point.lng / CELL_DEGREES),
      );
      pushTo(this.grid, key, place);
    }
    this.index.addAll(documents);
    this.sortedPostcodes = [...this.postcodeRows.keys()].map(compactPostcode).sort();
  }

  /** Reads a gazetteer in either format (docs/gazetteer.md), or throws a GazetteerError. */
  static async load(file: string, log?: Pick<Logger, 'info'>): Promise<Gazetteer> {
    const { places, skipped, alternativeNames } = await readGazetteerFile(file);
    const gazetteer = new Gazetteer(places, skipped, alternativeNames);
    log?.info({ file, places: gazetteer.size, skipped }, 'gazetteer loaded');
    return gazetteer;
  }

  /** For tests, and for a council without a gazetteer (`fromPlaces([])`). */
  static fromPlaces(places: Place[]): Gazetteer {
    return new Gazetteer(places);
  }

  get size(): number {
    return this.places.size;
  }

  byId(id: string): Place | undefined {
    return this.places.get(id);
  }

  /**
   * Best matches first. Postcodes match with or without the space, any case ("wm11aa"); a full
   * postcode that matches returns just that one. Streets/places fuzzy (typos: "hihg street",
   * "ashcomb"), prefix ("high st"), and "street name, town" / "street name town" narrows to that
   * town. Abbreviations: st→street, rd→road, ave→avenue, ln→lane. Empty/whitespace query → [].
   */
  search(query: string, limit = 10): Place[] {
    if (query.trim() === '') return [];
    const postcode = fullPostcode(query);
    if (postcode) {
      const row = this.postcodeRows.get(postcode);
      return row ? [row] : (this.byPostcode.get(postcode) ?? []).slice(0, limit);
    }
    const words = wordsOf(query);
    if (words.length === 0) return [];
    const found = this.matchWords(words);
    // An exact name ("A36", "Westmoor") comes first, then postcodes being typed ("WM1 1").
    const wanted = comparable(query);
    const exact = found.filter(
      (p) => comparable(p.name) === wanted || comparable(p.label) === wanted,
    );
    const compact = compactPostcode(query);
    const postcodes = POSTCODE_START.test(compact)
      ? this.postcodesStartingWith(compact, limit)
      : [];
    return [...new Set([...exact, ...postcodes, ...found])].slice(0, limit);
  }

  /**
   * The nearest street or road row within maxMetres of a point (for naming a tapped map point:
   * "near High Street, Ashcombe"), or undefined.
   */
  nearest(
    point: Point,
    maxMetres: number,
    types: PlaceType[] = ['street', 'road'],
  ): Place | undefined {
    let best: Place | undefined;
    let bestDistance = maxMetres;
    for (const place of this.placesAround(point, maxMetres)) {
      if (!types.includes(place.type)) continue;
      const distance = distanceMetres(point, place.point);
      if (distance <= bestDistance) {
        best = place;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** Places in the grid cells that cover a circle (all places, if that is fewer). */
  private *placesAround(point: Point, metres: number): Iterable<Place> {
    const latSpan = metres / METRES_PER_DEGREE_LAT;
    const lngSpan = latSpan / Math.max(Math.cos((point.lat * Math.PI) / 180), 0.01);
    const cell = (degrees: number) => Math.floor(degrees / CELL_DEGREES);
    const [firstRow, lastRow] = [cell(point.lat - latSpan), cell(point.lat + latSpan)];
    const [firstColumn, lastColumn] = [cell(point.lng - lngSpan), cell(point.lng + lngSpan)];
    if ((lastRow - firstRow + 1) * (lastColumn - firstColumn + 1) > this.places.size) {
      yield* this.places.values();
      return;
    }
    for (let row = firstRow; row <= lastRow; row++)
      for (let column = firstColumn; column <= lastColumn; column++)
        yield* this.grid.get(cellKey(row, column)) ?? [];
  }

  /**
   * Places matching every word (which is what narrows "high street brindle" to one town); failing
   * that, with two neighbouring words joined ("cold harbour"); failing that, any word.
   */
  private matchWords(words: string[]): Place[] {
    const choices = words.map((word) => this.spellings(word));
    const attempts: Query[] = [
      allOf(choices),
      ...words
        .slice(1)
        .map((word, i) =>
          allOf([
            ...choices.slice(0, i),
            this.spellings(`${words[i] ?? ''}${word}`),
            ...choices.slice(i + 2),
          ]),
        ),
      { combineWith: 'OR', queries: choices.map(anyOf) },
    ];
    for (const attempt of attempts) {
      const found = this.index.search(attempt).flatMap((result) => {
        const place = this.places.get(String(result.id));
        return place ? [place] : [];
      });
      if (found.length > 0) return found;
    }
    return [];
  }

  /**
   * The word as typed (abbreviations expanded), and any indexed word it becomes by swapping two
   * neighbouring letters ("hihg" → "high"), which fuzzy matching counts as two typos.
   */
  private spellings(word: string): string[] {
    const spellings = [...expand(word)];
    if (word.length < 4 || this.vocabulary.has(word)) return spellings;
    for (let i = 0; i < word.length - 1; i++) {
      const swapped = `${word.slice(0, i)}${word.charAt(i + 1)}${word.charAt(i)}${word.slice(i + 2)}`;
      if (this.vocabulary.has(swapped)) spellings.push(swapped);
    }
    return spellings;
  }

  private postcodesStartingWith(compact: string, limit: number): Place[] {
    // Binary search for the first postcode not before the prefix.
    let low = 0;
    let high = this.sortedPostcodes.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.sortedPostcodes[middle] ?? '') < compact) low = middle + 1;
      else high = middle;
    }
    const matches: Place[] = [];
    for (let i = low; i < this.sortedPostcodes.length && matches.length < limit; i++) {
      const candidate = this.sortedPostcodes[i] ?? '';
      if (!candidate.startsWith(compact)) break;
      const place = this.postcodeRows.get(fullPostcode(candidate) ?? '');
      if (place) matches.push(place);
    }
    return matches;
  }
}

interface GazetteerFile {
  places: Place[];
  skipped: Record<string, number>;
  alternativeNames: Map<string, string>;
}

/** A row to keep, or why it was left out. */
type RowResult = { place: Place; alternativeName?: string; section?: boolean } | { skip: string };
type RowReader = (fields: string[], where: string) => RowResult;

const SKIP_BLANK = 'blank';
const SKIP_DUPLICATE = 'duplicate of an earlier row';
const SKIP_OTHER_FEATURE = 'not a street, road, place or postcode (e.g. a hill or river)';
const SKIP_ROAD_SECTION = 'section of a road already listed in the same place';

async function readGazetteerFile(file: string): Promise<GazetteerFile> {
  const fileName = path.basename(file);
  const kept: Exclude<RowResult, { skip: string }>[] = [];
  const skipped: Record<string, number> = {};
  const skip = (reason: string) => (skipped[reason] = (skipped[reason] ?? 0) + 1);
  let readRow: RowReader | undefined;

  const parser = parse({
    bom: true,
    trim: true,
    relax_column_count: true,
    comment: '#',
    comment_no_infix: true,
    info: true,
  });
  const stream = createReadStream(file);
  // pipe() does not pass on a read error (such as a missing file); the parser must fail with it.
  stream.on('error', (error) => parser.destroy(error));
  const records = stream.pipe(parser) as AsyncIterable<{
    record: string[];
    info: { lines: number };
  }>;
  try {
    for await (const { record: fields, info } of records) {
      const where = `${fileName} line ${info.lines}`;
      if (fields.every((field) => field === '')) {
        skip(SKIP_BLANK);
        continue;
      }
      if (!readRow) {
        // The first row says the format: our header, OS Open Names' header, or OS data itself.
        const format = formatOf(fields, where);
        readRow = format.readRow;
        if (format.isHeader) continue;
      }
      const result = readRow(fields, where);
      if ('skip' in result) skip(result.skip);
      else kept.push(result);
    }
  } catch (error) {
    if (error instanceof GazetteerError) throw error;
    if (error instanceof CsvError)
      throw new GazetteerError(
        `${fileName} line ${typeof error.lines === 'number' ? error.lines : '?'}: ${error.message}`,
      );
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new GazetteerError(`${fileName}: cannot be read (${code})`);
  } finally {
    stream.destroy();
  }

  // OS Open Names lists a road once whole and again for each settlement it passes through;
  // keep a section only where it names a different place from the whole road.
  const wholeRoads = new Set(
    kept.filter((row) => !row.section).map(({ place }) => sameRoadKey(place)),
  );
  const places: Place[] = [];
  const seen = new Set<string>();
  const alternativeNames = new Map<string, string>();
  for (const row of kept) {
    if (row.section && wholeRoads.has(sameRoadKey(row.place))) skip(SKIP_ROAD_SECTION);
    else if (seen.has(row.place.id)) skip(SKIP_DUPLICATE);
    else {
      seen.add(row.place.id);
      places.push(row.place);
      if (row.alternativeName) alternativeNames.set(row.place.id, row.alternativeName);
    }
  }
  if (places.length === 0)
    throw new GazetteerError(`${fileName}: has no streets, places, roads or postcodes`);
  return { places, skipped, alternativeNames };
}

function sameRoadKey({ type, name, locality }: Place): string {
  return `${type}|${name}|${locality ?? ''}`;
}

function formatOf(fields: string[], where: string): { readRow: RowReader; isHeader: boolean } {
  const titles = fields.map((field) => field.toLowerCase());
  if (titles.includes('name') && titles.includes('type'))
    return { readRow: simpleFormat(fields, where), isHeader: true };
  if (fields[0] === 'ID' && fields[2] === 'NAME1')
    return { readRow: readOpenNamesRow, isHeader: true };
  if (fields.length === OS_COLUMN_COUNT) return { readRow: readOpenNamesRow, isHeader: false };
  throw new GazetteerError(
    `${where}: the first row must be the header ${SIMPLE_COLUMNS.join(',')} or an OS Open Names row (${OS_COLUMN_COUNT} columns)`,
  );
}

/** 64 bits of SHA-256 in hex: URL-safe, and no collision in any gazetteer's size. */
function hashId(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

function readNumber(text: string, min: number, max: number, message: string, where: string) {
  const value = text === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new GazetteerError(`${where}: ${message}`);
  return value;
}

const SIMPLE_COLUMNS = ['name', 'type', 'locality', 'postcode', 'lat', 'lng', 'road'] as const;
type SimpleColumn = (typeof SIMPLE_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly SimpleColumn[] = ['name', 'type', 'lat', 'lng'];

/** Reads the header (columns in any order; others, such as a USRN, are ignored). */
function simpleFormat(header: string[], where: string): RowReader {
  const columns = new Map<SimpleColumn, number>();
  header.forEach((title, i) => {
    const column = SIMPLE_COLUMNS.find((c) => c === title.toLowerCase());
    if (!column) return;
    if (columns.has(column))
      throw new GazetteerError(`${where}: the ${column} column appears twice`);
    columns.set(column, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0)
    throw new GazetteerError(`${where}: the header has no ${missing.join(', ')} column`);

  return (fields: string[], where: string): RowResult => {
    const value = (column: SimpleColumn) => fields[columns.get(column) ?? -1] ?? '';
    const type = value('type').toLowerCase();
    if (!isPlaceType(type))
      throw new GazetteerError(
        `${where}: type must be one of ${PLACE_TYPES.join(', ')}${type ? ` (not "${value('type')}")` : ''}`,
      );
    const point = {
      lat: readNumber(value('lat'), -90, 90, 'lat must be a number between -90 and 90', where),
      lng: readNumber(value('lng'), -180, 180, 'lng must be a number between -180 and 180', where),
    };
    let name = value('name');
    let postcode: string | null = null;
    if (type === 'postcode') {
      postcode = fullPostcode(value('postcode') || name);
      if (!postcode)
        throw new GazetteerError(`${where}: postcode must be a full postcode like WM1 1AA`);
      name = postcode;
    } else {
      if (!name) throw new GazetteerError(`${where}: name is missing`);
      if (value('postcode')) {
        postcode = postcodeOrDistrict(value('postcode'));
        if (!postcode)
          throw new GazetteerError(
            `${where}: postcode must be a postcode like WM1 1AA or a district like WM1`,
          );
      }
    }
    const locality = value('locality') || null;
    const road = value('road') || null;
    return {
      place: {
        // The row's content, not its line number, so adding a row does not change other rows' ids.
        id: hashId([type, name, locality, postcode, point.lat, point.lng, road].join('\u001f')),
        name,
        type,
        locality,
        postcode,
        road,
        point,
        label: labelOf(name, type, locality),
      },
    };
  };
}

const OS_COLUMN_COUNT = 34;
/** Column positions in OS Open Names CSV (its Doc/OS_Open_Names_Header.csv). */
const OS = {
  id: 0,
  name1: 2,
  name2: 4,
  localType: 7,
  x: 8,
  y: 9,
  postcodeDistrict: 16,
  populatedPlace: 18,
  districtBorough: 21,
  countyUnitary: 24,
} as const;

/** OS LOCAL_TYPE (lower case) → our type; every other feature type is skipped. */
const OS_LOCAL_TYPES: Readonly<Record<string, PlaceType>> = {
  'named road': 'street',
  'section of named road': 'street',
  'numbered road': 'road',
  'section of numbered road': 'road',
  postcode: 'postcode',
  city: 'place',
  town: 'place',
  village: 'place',
  hamlet: 'place',
  'other settlement': 'place',
  'suburban area': 'place',
};

/**
 * British National Grid (EPSG:27700) to WGS84 by the OS's published 7-parameter Helmert
 * transformation: within about 5 m, which is closer than a street's own length.
 */
const fromNationalGrid = proj4(
  '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy ' +
    '+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs',
  'WGS84',
);

function readOpenNamesRow(fields: string[], where: string): RowResult {
  if (fields.length !== OS_COLUMN_COUNT)
    throw new GazetteerError(
      `${where}: an OS Open Names row has ${OS_COLUMN_COUNT} columns, not ${fields.length}`,
    );
  const column = (i: number) => fields[i] ?? '';
  const type = OS_LOCAL_TYPES[column(OS.localType).toLowerCase()];
  if (!type) return { skip: SKIP_OTHER_FEATURE };
  const name1 = column(OS.name1);
  if (!name1) throw new GazetteerError(`${where}: NAME1 is missing`);
  const easting = readNumber(
    column(OS.x),
    0,
    700_000,
    'GEOMETRY_X must be an easting in metres (0 to 700000)',
    where,
  );
  const northing = readNumber(
    column(OS.y),
    0,
    1_300_000,
    'GEOMETRY_Y must be a northing in metres (0 to 1300000)',
    where,
  );
  const [lng = NaN, lat = NaN] = fromNationalGrid.forward([easting, northing]);

  const populatedPlace = column(OS.populatedPlace);
  const area = column(OS.districtBorough) || column(OS.countyUnitary);
  const locality =
    (type === 'place' && populatedPlace === name1 ? area : populatedPlace || area) || null;
  let name = name1;
  let postcode: string | null;
  if (type === 'postcode') {
    postcode = fullPostcode(name1);
    if (!postcode) throw new GazetteerError(`${where}: NAME1 must be a postcode like WM1 1AA`);
    name = postcode;
  } else {
    postcode = postcodeOrDistrict(column(OS.postcodeDistrict));
  }
  const osId = column(OS.id);
  return {
    place: {
      // OS ids persist between releases (except road sections') and are already URL-safe.
      id: /^[A-Za-z0-9_-]{1,64}$/.test(osId) ? osId : hashId(osId),
      name,
      type,
      locality,
      postcode,
      road: type === 'road' ? name1 : null,
      point: { lat, lng },
      label: labelOf(name, type, locality),
    },
    alternativeName: column(OS.name2) || undefined,
    section: column(OS.localType).toLowerCase().startsWith('section of'),
  };
}

const COORDINATE = String.raw`([+-]?\d{1,3}(?:\.\d+)?)\s*°?\s*([NSEW])?`;
const COORDINATE_PAIR = new RegExp(String.raw`^${COORDINATE}\s*(?:,\s*|\s+)${COORDINATE}$`, 'i');

/**
 * A typed "lat, lng" pair: "51.38, -2.36", "51.38 -2.36" or "51.38°N 2.36°W" (either order
 * when the letters say which is which). Null for anything else or out of range.
 */
export function parseCoordinates(text: string): Point | null {
  const match = COORDINATE_PAIR.exec(text.trim().replace(/\u2212/g, '-'));
  if (!match) return null;
  const first = signedCoordinate(match[1], match[2]);
  const second = signedCoordinate(match[3], match[4]);
  if (!first || !second) return null;
  const firstIsLng = first.axis === 'lng' || second.axis === 'lat';
  if (first.axis && first.axis === second.axis) return null;
  const point = firstIsLng
    ? { lat: second.value, lng: first.value }
    : { lat: first.value, lng: second.value };
  if (Math.abs(point.lat) > 90 || Math.abs(point.lng) > 180) return null;
  return point;
}

function signedCoordinate(
  number: string | undefined,
  hemisphere: string | undefined,
): { value: number; axis: 'lat' | 'lng' | null } | null {
  const value = Number(number);
  if (!number || !Number.isFinite(value)) return null;
  if (!hemisphere) return { value, axis: null };
  // "-2.36°W" says west twice; refuse rather than guess.
  if (/^[+-]/.test(number)) return null;
  const letter = hemisphere.toUpperCase();
  return {
    value: letter === 'S' || letter === 'W' ? -value : value,
    axis: letter === 'N' || letter === 'S' ? 'lat' : 'lng',
  };
}
