import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isValidPrefix } from '../cases/reference.js';

/**
 * The service catalogue is data: one YAML file per service in config/services, checked
 * against this schema when the platform starts (as DEFRA's forms engine does). A bad
 * definition stops start-up with one line naming the file, page and field, so whoever
 * edited it can fix it without reading code.
 */

export const CATEGORIES = {
  'roads-transport': 'Roads and transport',
  'waste-recycling': 'Waste and recycling',
  libraries: 'Libraries',
  'schools-education': 'Schools and education',
  'children-families': 'Children and families',
  'adult-social-care': 'Adult social care',
  registrations: 'Births, deaths, marriages and citizenship',
  'parking-permits': 'Parking and permits',
  'environment-planning': 'Environment and planning',
  leisure: 'Leisure and countryside',
  'events-culture': 'Events and culture',
  'getting-online': 'Getting help online',
  'your-council': 'Your council',
} as const;
export type CategoryKey = keyof typeof CATEGORIES;

export const SERVICE_KINDS = [
  'form',
  'report',
  'library',
  'school-admission',
  'event-booking',
  'external',
] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** The case kinds (src/modules/cases/kinds.ts) a service may open; chats and ideas are not services. */
export const SERVICE_CASE_KINDS = [
  'report',
  'application',
  'request',
  'transaction',
  'booking',
] as const;

export const FIELD_TYPES = [
  'text',
  'textarea',
  'number',
  'email',
  'phone',
  'date',
  'radios',
  'checkboxes',
  'select',
  'yesno',
  'address',
  'file',
  'location',
  'declaration',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

const slug = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case words joined by hyphens');
const camelCase = z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'must be camelCase, like fullName');
const words = z.string().trim().min(1, 'must not be empty');
const wholeNumber = z.number().int('must be a whole number');
const positiveWhole = wholeNumber.positive('must be a positive whole number');

const conditionValue = z.union([z.string().min(1), z.boolean()], {
  errorMap: () => ({ message: 'must be an answer (text) or true/false' }),
});

/**
 * Shows a page or field only when an earlier answer matches. For checkboxes, `equals`
 * means "this option was ticked" and `in` means "any of these was ticked".
 */
const conditionSchema = z
  .object({
    field: camelCase,
    equals: conditionValue.optional(),
    in: z.array(z.string().min(1)).min(1, 'must list at least 1 answer').optional(),
    notEquals: conditionValue.optional(),
  })
  .strict()
  .refine((c) => [c.equals, c.in, c.notEquals].filter((v) => v !== undefined).length === 1, {
    message: 'must have exactly one of equals, in or notEquals',
  });
export type Condition = z.output<typeof conditionSchema>;

const optionSchema = z.object({ value: slug, text: words, hint: words.optional() }).strict();
export type Option = z.output<typeof optionSchema>;

const common = {
  name: camelCase,
  label: words,
  hint: words.optional(),
  optional: z.boolean().default(false),
  when: conditionSchema.optional(),
};

const fieldSchema = z.discriminatedUnion('type', [
  z
    .object({
      ...common,
      type: z.literal('text'),
      maxLength: positiveWhole.default(200),
      autocomplete: z
        .string()
        .regex(/^[a-z0-9 -]+$/, 'must be an HTML autocomplete value, like postal-code')
        .optional(),
    })
    .strict(),
  z
    .object({ ...common, type: z.literal('textarea'), maxLength: positiveWhole.default(2000) })
    .strict(),
  z
    .object({
      ...common,
      type: z.literal('number'),
      min: z.number().optional(),
      max: z.number().optional(),
      integer: z.boolean().default(false),
      suffix: words.optional(),
    })
    .strict(),
  z.object({ ...common, type: z.literal('email') }).strict(),
  z.object({ ...common, type: z.literal('phone') }).strict(),
  z
    .object({
      ...common,
      type: z.literal('date'),
      past: z.boolean().default(false),
      future: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      ...common,
      type: z.literal('radios'),
      options: z.array(optionSchema).min(2, 'must have at least 2 options'),
    })
    .strict(),
  z
    .object({
      ...common,
      type: z.literal('checkboxes'),
      options: z.array(optionSchema).min(1, 'must have at least 1 option'),
      minSelected: positiveWhole.optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      type: z.literal('select'),
      options: z.array(optionSchema).min(2, 'must have at least 2 options'),
    })
    .strict(),
  z.object({ ...common, type: z.literal('yesno') }).strict(),
  z.object({ ...common, type: z.literal('address') }).strict(),
  z
    .object({
      ...common,
      type: z.literal('file'),
      accept: z.array(z.enum(['image', 'pdf'])).min(1, 'must list image, pdf or both'),
      maxMb: z.number().positive('must be more than 0').max(20, 'must be at most 20'),
    })
    .strict(),
  z.object({ ...common, type: z.literal('location') }).strict(),
  z
    .object({
      ...common,
      // A declaration is there to be agreed to, so it can never be skipped.
      optional: z
        .boolean()
        .default(false)
        .refine((optional) => !optional, 'cannot be true for a declaration'),
      type: z.literal('declaration'),
      text: words,
    })
    .strict(),
]);
export type Field = z.output<typeof fieldSchema>;

const pageSchema = z
  .object({
    id: slug,
    title: words,
    intro: words.optional(),
    when: conditionSchema.optional(),
    fields: z.array(fieldSchema).min(1, 'must have at least 1 field'),
  })
  .strict();
export type Page = z.output<typeof pageSchema>;

const formSchema = z
  .object({ pages: z.array(pageSchema).min(1, 'must have at least 1 page') })
  .strict();
export type FormDefinition = z.output<typeof formSchema>;

const serviceSchema = z
  .object({
    /** Also the file name and the last part of the service's web address. */
    code: slug,
    /** Add 1 whenever the questions change, so saved answers are read against the right form. */
    version: wholeNumber.min(1, 'must be 1 or more; add 1 whenever the questions change'),
    name: words.max(80, 'must be at most 80 characters'),
    summary: words
      .max(160, 'must be one line of at most 160 characters')
      .refine((s) => !s.includes('\n'), 'must be one line'),
    category: z.enum(Object.keys(CATEGORIES) as [CategoryKey, ...CategoryKey[]]),
    /** What residents type into search, misspellings included ("libary", "pot hole"). */
    keywords: z.array(words).min(3, 'must have at least 3 words or phrases residents search for'),
    kind: z.enum(SERVICE_KINDS),
    team: words,
    /** Working days to resolve a case; 0 means done straight away, as with renewals and bookings. */
    sla: z.object({ days: wholeNumber.nonnegative('must be 0 or more') }).strict(),
    /** The first part of every case reference, e.g. PTH in PTH-4F7K-92QX. Unique in the catalogue. */
    refPrefix: z
      .string()
      .refine(isValidPrefix, 'must be 3 capital letters without I, L, O or U, like PTH'),
    caseKind: z.enum(SERVICE_CASE_KINDS).optional(),
    url: z
      .string()
      .url('must be a web address')
      .startsWith('https://', 'must start with https://')
      .optional(),
    start: z
      .object({
        intro: words,
        before: z.array(words).min(1, 'must list at least 1 thing people need'),
        time: words,
        next: words,
      })
      .strict(),
    form: formSchema.optional(),
    /** Report It categories only: how duplicates are found and which local team gets them. */
    report: z
      .object({
        /** Metres to look for the same problem already reported (default: council.yaml's nearbyRadius). */
        radius: wholeNumber.min(10).max(5000).optional(),
        /** A team for each of council.yaml's reporting areas; elsewhere the service's team. */
        teams: z.record(z.string(), words).default({}),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ServiceDefinition = z.output<typeof serviceSchema>;

export interface Category {
  key: CategoryKey;
  name: string;
  services: ServiceDefinition[];
}

export interface Catalogue {
  /** Every service offered (not retired), sorted by name. */
  services: ServiceDefinition[];
  byCode: (code: string) => ServiceDefinition | undefined;
  /** Categories in their listed order, each with its services sorted by name; empty ones left out. */
  categories: Category[];
}

/** A bad service definition: the message is one line naming the file, page and field. */
export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

export function loadCatalogue(dir = 'config/services'): Catalogue {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw new CatalogueError(`${dir}: cannot read the services folder: ${(err as Error).message}`);
  }
  const stray = names.find((name) => name.endsWith('.yml'));
  if (stray) throw new CatalogueError(`${path.join(dir, stray)}: rename it to end in .yaml`);
  const files = names.filter((name) => name.endsWith('.yaml'));
  if (files.length === 0) throw new CatalogueError(`${dir}: has no service files (*.yaml)`);

  const services: ServiceDefinition[] = [];
  const prefixOwners = new Map<string, string>();
  for (const name of files) {
    const file = path.join(dir, name);
    const service = loadService(file);
    const owner = prefixOwners.get(service.refPrefix);
    if (owner)
      throw new CatalogueError(
        `${file}: refPrefix "${service.refPrefix}" is already used by ${owner}`,
      );
    prefixOwners.set(service.refPrefix, service.code);
    services.push(service);
  }

  return catalogueOf(services);
}

/**
 * The catalogue of these services. A retired one is still found by its code, for the cases
 * already made with it, but is no longer listed, searched or offered.
 */
export function catalogueOf(
  all: ServiceDefinition[],
  retired: ReadonlySet<string> = new Set(),
): Catalogue {
  const byCode = new Map(all.map((s) => [s.code, s]));
  const services = all
    .filter((s) => !retired.has(s.code))
    .sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
  const categories = (Object.keys(CATEGORIES) as CategoryKey[])
    .map((key) => ({
      key,
      name: CATEGORIES[key],
      services: services.filter((s) => s.category === key),
    }))
    .filter((category) => category.services.length > 0);
  return { services, byCode: (code) => byCode.get(code), categories };
}

/** Reads, validates and cross-checks one service file. */
export function loadService(file: string): ServiceDefinition {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0].line;
      const message = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      throw new CatalogueError(
        `${file}:${line ? ` line ${line}:` : ''} not valid YAML: ${message}`,
      );
    }
    throw new CatalogueError(`${file}: cannot read it: ${(err as Error).message}`);
  }
  if (raw === null || raw === undefined) throw new CatalogueError(`${file}: is empty`);

  const service = parseService(raw, file);
  const expected = `${service.code}.yaml`;
  if (path.basename(file) !== expected)
    throw new CatalogueError(
      `${file}: code "${service.code}" does not match the file name; name the file ${expected}`,
    );
  return service;
}

/**
 * Checks a service definition, from a file or made in the back office, against the schema
 * and the rules that span fields; `where` starts the one-line message if it is not.
 */
export function parseService(raw: unknown, where: string): ServiceDefinition {
  const parsed = serviceSchema.safeParse(raw, { errorMap });
  if (!parsed.success) throw new CatalogueError(describeIssue(where, raw, parsed.error));
  const problem = crossCheck(parsed.data);
  if (problem) throw new CatalogueError(`${where}: ${problem}`);
  return parsed.data;
}

/** Every question of a service in the order asked; a page's condition passes to its questions. */
export function questionsOf(service: ServiceDefinition): Field[] {
  return (service.form?.pages ?? []).flatMap((page) =>
    page.fields.map((field) => (page.when && !field.when ? { ...field, when: page.when } : field)),
  );
}

/**
 * Whether a page or field with this condition is shown, given the earlier answer it refers
 * to: a string, a list (checkboxes) or a boolean (yes/no). A condition on a question the
 * person never saw is never met, so a chain of skipped pages stays skipped.
 */
export function conditionHolds(condition: Condition, answer: unknown): boolean {
  if (answer === undefined || answer === null) return false;
  const given = (Array.isArray(answer) ? (answer as unknown[]) : [answer]).map(asAnswer);
  if (condition.in) return condition.in.some((value) => given.includes(value));
  if (condition.equals !== undefined) return given.includes(asAnswer(condition.equals));
  return condition.notEquals !== undefined && !given.includes(asAnswer(condition.notEquals));
}

function asAnswer(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Rules that span fields, pages or settings, checked once the shape is right. */
function crossCheck(service: ServiceDefinition): string | undefined {
  if (service.kind === 'external') {
    if (!service.url) return 'url is required for an external service';
    if (service.form) return 'form is not allowed for an external service';
    return undefined;
  }
  if (service.url) return `url is only for external services, not ${service.kind} ones`;
  if (!service.caseKind)
    return `caseKind is required for a ${service.kind} service, so its cases get the right statuses`;
  if (service.kind === 'form' && !service.form) return 'form is required for a form service';
  if (service.report && service.kind !== 'report')
    return `report is only for report services, not ${service.kind} ones`;
  if (service.form && service.kind !== 'form' && service.kind !== 'report')
    return `form is only for form and report services, not ${service.kind} ones`;
  return service.form ? checkForm(service.form) : undefined;
}

interface Asked {
  field: Field;
  page: string;
}

function checkForm(form: FormDefinition): string | undefined {
  const pageIds = new Set<string>();
  /** Questions on pages before the current one. */
  const earlier = new Map<string, Asked>();
  for (const page of form.pages) {
    const where = `page "${page.id}"`;
    if (pageIds.has(page.id)) return `${where}: page id "${page.id}" is already used`;
    pageIds.add(page.id);
    if (page.when) {
      const problem = checkCondition(page.when, earlier, 'page');
      if (problem) return `${where}: ${problem}`;
    }
    /** Earlier pages plus the questions above this one on the same page. */
    const above = new Map(earlier);
    for (const field of page.fields) {
      const place = `${where} field "${field.name}"`;
      const clash = above.get(field.name);
      if (clash)
        return `${place}: the name "${field.name}" is already used on page "${clash.page}"`;
      const onThisPage = field.when && page.fields.some((f) => f.name === field.when?.field);
      const problem =
        checkField(field) ??
        (field.when && checkCondition(field.when, above, onThisPage ? 'question' : 'page'));
      if (problem) return `${place}: ${problem}`;
      above.set(field.name, { field, page: page.id });
    }
    for (const field of page.fields) earlier.set(field.name, { field, page: page.id });
  }
  return undefined;
}

function checkField(field: Field): string | undefined {
  if ('options' in field) {
    const seen = new Set<string>();
    for (const option of field.options) {
      if (seen.has(option.value)) return `option value "${option.value}" is used twice`;
      seen.add(option.value);
    }
  }
  if (field.type === 'number' && field.min !== undefined && field.max !== undefined)
    if (field.min > field.max) return 'min must not be more than max';
  if (field.type === 'date' && field.past && field.future)
    return 'past and future cannot both be true';
  if (field.type === 'checkboxes' && (field.minSelected ?? 0) > field.options.length)
    return 'minSelected must not be more than the number of options';
  return undefined;
}

function checkCondition(
  condition: Condition,
  asked: Map<string, Asked>,
  /** What the condition must come after: its page, or for a field asked on the same page, its question. */
  before: 'page' | 'question',
): string | undefined {
  const target = asked.get(condition.field)?.field;
  if (!target)
    return `condition refers to "${condition.field}", which is not asked before this ${before}`;
  const values = [condition.equals, ...(condition.in ?? []), condition.notEquals].filter(
    (v) => v !== undefined,
  );
  const allowed =
    target.type === 'yesno'
      ? ['yes', 'no']
      : 'options' in target
        ? target.options.map((o) => o.value)
        : undefined;
  for (const value of values) {
    if (typeof value === 'boolean' && target.type !== 'yesno')
      return `condition compares "${condition.field}" with ${value}, but it is a ${target.type} question`;
    if (allowed && !allowed.includes(asAnswer(value)))
      return `condition value "${asAnswer(value)}" is not an answer to "${condition.field}" (${allowed.join(', ')})`;
  }
  return undefined;
}

/** Plain-English zod messages; the key they are about is put in front by describeIssue. */
const errorMap: z.ZodErrorMap = (issue, ctx) => {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      if (issue.received === 'undefined') return { message: 'is required' };
      return { message: `must be ${typeNames[issue.expected] ?? issue.expected}` };
    case z.ZodIssueCode.invalid_literal:
      return { message: `must be ${JSON.stringify(issue.expected)}` };
    case z.ZodIssueCode.invalid_union_discriminator:
      return { message: `must be one of ${issue.options.map(String).join(', ')}` };
    case z.ZodIssueCode.invalid_enum_value:
      return {
        message: `must be one of ${issue.options.map(String).join(', ')} (not "${String(issue.received)}")`,
      };
    case z.ZodIssueCode.unrecognized_keys:
      return {
        message: `has ${issue.keys.length === 1 ? 'an unknown setting' : 'unknown settings'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
      };
    case z.ZodIssueCode.too_small:
      if (issue.type === 'array')
        return {
          message: `must have at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`,
        };
      if (issue.type === 'string')
        return { message: `must be at least ${issue.minimum} characters` };
      return { message: `must be at least ${issue.minimum}` };
    case z.ZodIssueCode.too_big:
      if (issue.type === 'array') return { message: `must have at most ${issue.maximum} items` };
      if (issue.type === 'string')
        return { message: `must be at most ${issue.maximum} characters` };
      return { message: `must be at most ${issue.maximum}` };
    default:
      return { message: ctx.defaultError };
  }
};

const typeNames: Partial<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a set of settings',
};

/** One line: where in the file (page and field by their names) and what is wrong. */
function describeIssue(file: string, raw: unknown, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${file}: is not a valid service definition`;
  const where: string[] = [];
  let rest: (string | number)[] = issue.path;
  if (rest[0] === 'form' && rest[1] === 'pages' && typeof rest[2] === 'number') {
    const page = at(raw, ['form', 'pages', rest[2]]);
    const id = at(page, ['id']);
    where.push(typeof id === 'string' ? `page "${id}"` : `page ${rest[2] + 1}`);
    rest = rest.slice(3);
    if (rest[0] === 'fields' && typeof rest[1] === 'number') {
      const name = at(page, ['fields', rest[1], 'name']);
      where.push(typeof name === 'string' ? `field "${name}"` : `field ${rest[1] + 1}`);
      rest = rest.slice(2);
    }
  }
  const key = rest
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${part}`))
    .join('');
  const what = key ? `${key} ${issue.message}` : issue.message;
  return `${file}: ${where.length > 0 ? `${where.join(' ')}: ` : ''}${what}`;
}

function at(value: unknown, keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
