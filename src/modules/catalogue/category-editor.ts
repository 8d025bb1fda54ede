import { ValidationError } from '../../platform/errors.js';
import { isValidPrefix } from '../cases/reference.js';
import {
  CATEGORIES,
  CatalogueError,
  parseService,
  questionsOf,
  type CategoryKey,
  type Field,
  type ServiceDefinition,
} from './definition.js';

/**
 * Turning what an administrator types into a report category's definition, with an error on
 * the field at fault for anything the catalogue's rules would refuse. The back office stores
 * the result through ServiceSettings.setDefinition; the council's YAML files are untouched.
 */

type Input = Record<string, string | undefined>;
type FieldErrors = { field: string; message: string }[];

/** The kinds of question an administrator can add; others from the files can still be edited. */
export const QUESTION_TYPES = {
  radios: 'Choose one answer from a list',
  checkboxes: 'Choose any answers from a list',
  yesno: 'Yes or no',
  text: 'A short answer in words',
  textarea: 'A longer answer in words',
} as const;
export type QuestionType = keyof typeof QUESTION_TYPES;

const clean = (value: string | undefined) => (value ?? '').trim().replace(/[ \t]+/g, ' ');
const lines = (value: string | undefined) =>
  (value ?? '')
    .split(/\r?\n/)
    .map((line) => clean(line))
    .filter(Boolean);

/** "Report a broken bench" → "report-a-broken-bench". */
export function slugOf(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}

/** "How deep is it?" → "howDeepIsIt", made unique among `taken`. */
function nameOf(label: string, taken: ReadonlySet<string>): string {
  const words = slugOf(label).split('-').filter(Boolean).slice(0, 5);
  const base =
    words
      .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
      .join('')
      .replace(/^[^a-z]+/, '') || 'question';
  let name = base;
  for (let n = 2; taken.has(name); n += 1) name = `${base}${n}`;
  return name;
}

/** The details of a category as the form shows them. */
export function categoryValues(service: ServiceDefinition): Input {
  return {
    name: service.name,
    summary: service.summary,
    group: service.category,
    keywords: service.keywords.join('\n'),
    intro: service.start.intro,
    next: service.start.next,
    team: service.team,
    slaDays: String(service.sla.days),
    refPrefix: service.refPrefix,
  };
}

/**
 * A new report category, or the details of one changed. A new one needs its team, SLA and
 * reference prefix; after that those are set elsewhere (team and SLA on the services page)
 * or never change (the prefix is in every reference already given out).
 */
export function categoryFromInput(
  input: Input,
  existing: ServiceDefinition | undefined,
  catalogue: { codes: ReadonlySet<string>; prefixes: ReadonlySet<string> },
): ServiceDefinition {
  const errors: FieldErrors = [];
  const need = (field: string, message: string, ok: boolean) => {
    if (!ok) errors.push({ field, message });
  };
  const name = clean(input.name);
  const summary = clean(input.summary);
  const keywords = lines(input.keywords);
  const intro = clean(input.intro);
  const next = clean(input.next);
  const group = input.group ?? '';
  need('name', 'Enter the name, like Report a broken bench', name.length > 0);
  need('name', 'Keep the name to 80 characters', name.length <= 80);
  const code = existing?.code ?? slugOf(name);
  if (!existing && name)
    need('name', `A service called ${name} already exists`, !catalogue.codes.has(code));
  need('summary', 'Enter a one-line summary', summary.length > 0);
  need('summary', 'Keep the summary to 160 characters', summary.length <= 160);
  need('group', 'Choose where it is listed', group in CATEGORIES);
  need(
    'keywords',
    'Enter at least 3 words or phrases residents search for, one on each line',
    keywords.length >= 3,
  );
  need('keywords', 'Enter at most 30 search words', keywords.length <= 30);
  need('intro', 'Enter what the service is for', intro.length > 0);
  need('next', 'Enter what happens after someone reports it', next.length > 0);
  for (const [field, value, max] of [
    ['keywords', keywords.join(' '), 2000],
    ['intro', intro, 1000],
    ['next', next, 1000],
  ] as const)
    need(field, `Keep it to ${max} characters`, value.length <= max);

  let team = existing?.team ?? '';
  let slaDays = existing?.sla.days ?? 0;
  let refPrefix = existing?.refPrefix ?? '';
  if (!existing) {
    team = clean(input.team);
    need('team', 'Enter the team that handles it', team.length > 0);
    need('team', 'Keep the team name to 80 characters', team.length <= 80);
    const days = clean(input.slaDays);
    slaDays = /^\d{1,3}$/.test(days) ? Number(days) : NaN;
    need(
      'slaDays',
      'Enter the working days as a whole number from 0 to 365',
      !Number.isNaN(slaDays) && slaDays <= 365,
    );
    refPrefix = clean(input.refPrefix).toUpperCase();
    if (!isValidPrefix(refPrefix))
      errors.push({
        field: 'refPrefix',
        message: 'Enter 3 capital letters without I, L, O or U, like BNC',
      });
    else
      need(
        'refPrefix',
        `${refPrefix} is already used by another service`,
        !catalogue.prefixes.has(refPrefix),
      );
  }
  if (errors.length) throw ValidationError.forFields(errors);

  return checked({
    ...(existing ?? {
      code,
      version: 1,
      kind: 'report' as const,
      caseKind: 'report' as const,
      sla: { days: slaDays },
      refPrefix,
      team,
    }),
    name,
    summary,
    category: group as CategoryKey,
    keywords,
    start: {
      intro,
      before: existing?.start.before ?? [
        'where the problem is – you can use a map, a postcode or a street name',
        'a photo, if you can take one safely',
      ],
      time: existing?.start.time ?? 'about 2 minutes',
      next,
    },
  });
}

/** A question as the form shows it. */
export function questionValues(field: Field): Input {
  return {
    label: field.label,
    hint: field.hint ?? '',
    type: field.type,
    options: 'options' in field ? field.options.map((o) => o.text).join('\n') : '',
    optional: field.optional ? 'yes' : '',
  };
}

/** A new question, or a change to one: its type is chosen once, when it is added. */
export function questionFromInput(
  input: Input,
  existing: Field | undefined,
  service: ServiceDefinition,
): Field {
  const errors: FieldErrors = [];
  const label = clean(input.label);
  const hint = clean(input.hint);
  const type = existing?.type ?? input.type ?? '';
  if (!label) errors.push({ field: 'label', message: 'Enter the question' });
  else if (label.length > 200)
    errors.push({ field: 'label', message: 'Keep the question to 200 characters' });
  if (hint.length > 500) errors.push({ field: 'hint', message: 'Keep the hint to 500 characters' });
  if (!existing && !(type in QUESTION_TYPES))
    errors.push({ field: 'type', message: 'Choose the kind of answer' });

  const hasOptions = type === 'radios' || type === 'checkboxes' || type === 'select';
  const texts = lines(input.options);
  const options = texts.map((text) => ({ value: slugOf(text), text }));
  if (hasOptions) {
    const least = type === 'checkboxes' ? 1 : 2;
    const values = options.map((o) => o.value);
    if (texts.length < least)
      errors.push({
        field: 'options',
        message: `Enter at least ${least} answer${least === 1 ? '' : 's'}, one on each line`,
      });
    else if (texts.length > 30)
      errors.push({ field: 'options', message: 'Enter at most 30 answers' });
    else if (values.some((v) => !v))
      errors.push({ field: 'options', message: 'Each answer needs a letter or number in it' });
    else if (new Set(values).size < values.length)
      errors.push({ field: 'options', message: 'Each answer must be different' });
    else if (texts.some((t) => t.length > 200))
      errors.push({ field: 'options', message: 'Keep each answer to 200 characters' });
  }
  if (errors.length) throw ValidationError.forFields(errors);

  const taken = new Set(questionsOf(service).map((f) => f.name));
  const common = {
    name: existing?.name ?? nameOf(label, taken),
    label,
    ...(hint ? { hint } : {}),
    optional: input.optional === 'yes',
    ...(existing?.when ? { when: existing.when } : {}),
  };
  if (existing) {
    // A hint cleared is gone, not kept from before.
    const changed = { ...existing, ...common, ...(hasOptions ? { options } : {}) } as Field;
    if (!hint) delete changed.hint;
    return changed;
  }
  switch (type as QuestionType) {
    case 'radios':
    case 'checkboxes':
      return { ...common, type: type as 'radios', options };
    case 'text':
      return { ...common, type: 'text', maxLength: 200 };
    case 'textarea':
      return { ...common, type: 'textarea', maxLength: 2000 };
    default:
      return { ...common, type: 'yesno' };
  }
}

/**
 * The category with these questions, on one page (as Report It asks them), one version on:
 * saved answers are read against the questions they answered.
 */
export function withQuestions(service: ServiceDefinition, fields: Field[]): ServiceDefinition {
  const form = fields.length
    ? { pages: [{ id: 'details', title: 'About the problem', fields }] }
    : undefined;
  const changed: ServiceDefinition = { ...service, version: service.version + 1 };
  if (form) changed.form = form;
  else delete changed.form;
  return checked(changed);
}

/** Refuses to remove or move a question that a later one depends on, saying which. */
export function checkOrder(fields: Field[], label: string): void {
  fields.forEach((field, index) => {
    const on = field.when?.field;
    if (on && !fields.slice(0, index).some((f) => f.name === on))
      throw new ValidationError(
        `“${field.label}” is only asked depending on the answer to “${label}”, so that must come first. Change or remove “${field.label}” first.`,
      );
  });
}

/** The catalogue's own checks, as one error for the administrator rather than a crash. */
function checked(definition: ServiceDefinition): ServiceDefinition {
  try {
    return parseService(definition, definition.name);
  } catch (err) {
    if (err instanceof CatalogueError)
      throw new ValidationError(`This would not be a valid category: ${err.message}`);
    throw err;
  }
}
