import type { Field, FieldType, Option } from '../catalogue/definition.js';

/**
 * Each field type in a service definition as the form engine sees it: how its answer is read
 * from a form body and checked, the govuk-frontend macro and parameters that render it, and
 * how a saved answer is shown again. As in DEFRA's forms engine, one object per type owns all
 * of that, so a page template is a loop that calls the named macro. Pure functions: no HTTP.
 */

/** What a person typed, kept so a page with errors shows it back exactly. */
export type RawAnswer = string | string[] | Record<string, string>;

/** A stored upload; `key` is where the engine put the bytes. */
export interface FileAnswer {
  key: string;
  filename: string;
  contentType: string;
  bytes: number;
}
export interface AddressAnswer {
  line1: string;
  line2?: string;
  town: string;
  postcode: string;
}
export interface LocationAnswer {
  description: string;
  lat?: number;
  lng?: number;
}

/**
 * The cleaned answer stored with the case (JSON). Choices are stored as their option values
 * and yes/no as 'yes' or 'no', the strings `conditionHolds` compares; dates as 'YYYY-MM-DD';
 * a declaration as true.
 */
export type Answer =
  string | number | string[] | boolean | AddressAnswer | LocationAnswer | FileAnswer;

/** `value` undefined means not answered, which is fine only for an optional field. */
export interface FieldReading {
  raw: RawAnswer;
  value?: Answer;
  error?: string;
}

export type MacroName =
  | 'govukInput'
  | 'govukTextarea'
  | 'govukCharacterCount'
  | 'govukDateInput'
  | 'govukRadios'
  | 'govukCheckboxes'
  | 'govukSelect'
  | 'govukFileUpload'
  | 'appAddress'
  | 'appLocation';

/**
 * A macro and its parameters. `appAddress` and `appLocation` are several inputs in one
 * fieldset: `{ id, fieldset, hint?, errorMessage?, inputs }`, where `fieldset`, `hint` and
 * `errorMessage` are govukFieldset, govukHint and govukErrorMessage parameters (with ids, and
 * the fieldset described by them) and `inputs` are govukInput parameters.
 */
export interface Component {
  macro: MacroName;
  params: Record<string, unknown>;
}

type Body = Record<string, unknown>;
type FieldOf<T extends FieldType> = Extract<Field, { type: T }>;

/** Reads one field from a url-encoded form body; file fields are read by the upload check. */
export function readField(field: Field, body: Body, now: Date = new Date()): FieldReading {
  return kindOf(field).read(field, body, londonDate(now));
}

/**
 * The names a field's answer is read from in a body: its own name, or for a question in
 * parts, one per part (`when-day`, `where-postcode`), as its inputs are named on the page.
 */
export function inputNamesOf(field: Field): string[] {
  const parts: readonly string[] | undefined =
    field.type === 'date'
      ? DATE_PARTS
      : field.type === 'address'
        ? ADDRESS_PARTS
        : field.type === 'location'
          ? LOCATION_PARTS
          : undefined;
  return parts ? parts.map((part) => `${field.name}-${part}`) : [field.name];
}

/** The govuk macro and its params for the field, showing the raw answer and the error. */
export function componentFor(
  field: Field,
  raw: RawAnswer | undefined,
  error: string | undefined,
): Component {
  return kindOf(field).component(field, raw, error || undefined);
}

/** A saved answer as the raw answer its page shows again; undefined for files and mismatches. */
export function rawFromAnswer(field: Field, answer: Answer | undefined): RawAnswer | undefined {
  return answer === undefined ? undefined : kindOf(field).raw(field, answer);
}

/** The answer as lines of plain text for "Check your answers" and the case; [] if not answered. */
export function displayAnswer(field: Field, answer: Answer | undefined): string[] {
  return answer === undefined ? [] : kindOf(field).display(field, answer);
}

/**
 * The id an error summary link points at: the field's first input, or given the error, the
 * first input at fault (the month of a date missing its month, the postcode of an address).
 */
export function firstInputId(field: Field, error?: string): string {
  const part = error === undefined ? undefined : partsAtFault(field, error)[0];
  if (part) return `${field.name}-${part}`;
  if (field.type === 'date') return `${field.name}-day`;
  if (field.type === 'address') return `${field.name}-line1`;
  if (field.type === 'location') return `${field.name}-description`;
  return field.name;
}

/**
 * The error for a question left unanswered, in GOV.UK style ("Enter your full name", "Select
 * yes if you need an interpreter"). File fields are checked elsewhere but use this too.
 */
export function requiredError(field: Field): string {
  const label = readLabel(field.label);
  switch (field.type) {
    case 'radios':
    case 'select':
      return selectError(label, 'Select an option');
    case 'checkboxes':
      return selectError(label, 'Select at least one option');
    case 'yesno':
      return label.kind === 'whether' ? `Select yes if ${label.text}` : 'Select yes or no';
    case 'declaration':
      return label.kind === 'instruction' && label.verb === 'confirm'
        ? `Select the box to ${lowerFirst(label.text)}`
        : 'Select the box to confirm you agree';
    case 'file':
      if (label.kind === 'instruction' && label.verb === 'upload')
        return `Select ${afterVerb(label.text)}`;
      return label.kind === 'noun' ? `Select ${lowerFirst(label.text)}` : 'Select a file';
    case 'address':
      return ADDRESS_ERRORS.line1Missing;
    case 'location':
      if (label.kind === 'instruction' && label.verb === 'show')
        return `Describe ${afterVerb(label.text)}`;
      if (label.kind === 'which') return `Describe ${label.text}`;
      return label.kind === 'noun' ? `Describe ${lowerFirst(label.text)}` : 'Describe where it is';
    case 'text':
    case 'textarea':
    case 'number':
    case 'email':
    case 'phone':
    case 'date':
      return enterError(field, label);
  }
}

// ---------------------------------------------------------------------------------------
// Field types

interface Kind<F extends Field> {
  read(field: F, body: Body, today: string): FieldReading;
  component(field: F, raw: RawAnswer | undefined, error: string | undefined): Component;
  raw(field: F, answer: Answer): RawAnswer | undefined;
  display(field: F, answer: Answer): string[];
}

function kindOf<F extends Field>(field: F): Kind<F> {
  return kinds[field.type] as unknown as Kind<F>;
}

/** Address parts and location descriptions are free text, but not essays. */
const ADDRESS_LINE_MAX = 100;
const LOCATION_MAX = 500;
/** Roughly the United Kingdom; a point outside it is a map that went wrong. */
const UK = { lat: [49, 61], lng: [-9, 2] } as const;
/** No valid email, phone, number or postcode is longer; longer input is refused before any regex. */
const SHORT_MAX = 254;

const ADDRESS_ERRORS = {
  line1Missing: 'Enter address line 1, typically the building and street',
  line1Long: `Address line 1 must be ${ADDRESS_LINE_MAX} characters or fewer`,
  line2Long: `Address line 2 must be ${ADDRESS_LINE_MAX} characters or fewer`,
  townMissing: 'Enter town or city',
  townLong: `Town or city must be ${ADDRESS_LINE_MAX} characters or fewer`,
  postcodeMissing: 'Enter postcode',
  postcodeInvalid: 'Enter a full UK postcode',
} as const;
const EMAIL_INVALID = 'Enter an email address in the correct format, like name@example.com';
const PHONE_INVALID =
  'Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192';
const YEAR_INVALID = 'Year must include 4 numbers';
const LOCATION_AGAIN = 'Choose the location again';
const LOCATION_LONG = `The description must be ${LOCATION_MAX} characters or fewer`;
const CHOOSE_AN_OPTION = 'Choose an option';

/** A single text input whose answer is a cleaned string or number. */
function singleInput<F extends FieldOf<'text' | 'textarea' | 'email' | 'phone' | 'number'>>(
  clean: (field: F, text: string) => { value: Answer } | { error: string },
  params: (field: F) => Record<string, unknown>,
  macro: (field: F) => MacroName = () => 'govukInput',
): Kind<F> {
  return {
    read(field, body) {
      const typed = stringAt(body, field.name);
      if (typed === undefined) return { raw: '', error: requiredError(field) };
      const text = typed.replace(/\r\n?/g, '\n').trim();
      if (!text)
        return field.optional ? { raw: typed } : { raw: typed, error: requiredError(field) };
      const cleaned = clean(field, text);
      return 'error' in cleaned ? { raw: typed, error: cleaned.error } : { raw: typed, ...cleaned };
    },
    component: (field, raw, error) => ({
      macro: macro(field),
      params: {
        id: field.name,
        name: field.name,
        label: label(field),
        ...hintAndError(field, error),
        value: typeof raw === 'string' ? raw : '',
        ...params(field),
      },
    }),
    raw: (_field, answer) =>
      typeof answer === 'string' || typeof answer === 'number' ? String(answer) : undefined,
    display(field, answer) {
      if (typeof answer === 'number' && field.type === 'number')
        return [formatAmount(field, answer)];
      if (typeof answer !== 'string') return [];
      return answer.split('\n').filter((line) => line.trim());
    },
  };
}

const textKind = singleInput<FieldOf<'text'>>(
  (field, value) =>
    value.length > field.maxLength ? { error: tooLong(field, field.maxLength) } : { value },
  (field) => ({
    ...(field.maxLength <= 10
      ? { classes: 'govuk-input--width-10' }
      : field.maxLength <= 20
        ? { classes: 'govuk-input--width-20' }
        : {}),
    ...optionalEntry('autocomplete', field.autocomplete ?? KNOWN_AUTOCOMPLETE[field.name]),
  }),
);

const textareaKind = singleInput<FieldOf<'textarea'>>(
  (field, value) =>
    value.length > field.maxLength ? { error: tooLong(field, field.maxLength) } : { value },
  (field) => ({ maxlength: field.maxLength }),
  () => 'govukCharacterCount',
);

const emailKind = singleInput<FieldOf<'email'>>(
  (_field, value) => {
    const lower = value.toLowerCase();
    return isEmail(lower) ? { value: lower } : { error: EMAIL_INVALID };
  },
  () => ({ type: 'email', autocomplete: 'email', spellcheck: false }),
);

const phoneKind = singleInput<FieldOf<'phone'>>(
  (_field, value) => (isUkPhone(value) ? { value } : { error: PHONE_INVALID }),
  () => ({
    type: 'tel',
    autocomplete: 'tel',
    spellcheck: false,
    classes: 'govuk-input--width-20',
  }),
);

const numberKind = singleInput<FieldOf<'number'>>(
  (field, value) => {
    const subject = subjectOf(field);
    const digits = value.replace(/[\s,]/g, '').replace(/^£/, '');
    if (digits.length > SHORT_MAX || !/^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(digits))
      return { error: `${subject} must be a number` };
    const amount = Number(digits);
    if (field.integer && !Number.isInteger(amount))
      return { error: `${subject} must be a whole number` };
    const { min, max } = field;
    if (min !== undefined && max !== undefined && (amount < min || amount > max))
      return { error: `${subject} must be between ${formatNumber(min)} and ${formatNumber(max)}` };
    if (min !== undefined && amount < min)
      return { error: `${subject} must be at least ${formatNumber(min)}` };
    if (max !== undefined && amount > max)
      return { error: `${subject} must be at most ${formatNumber(max)}` };
    return { value: amount };
  },
  (field) => ({
    classes: field.integer ? 'govuk-input--width-5' : 'govuk-input--width-10',
    spellcheck: false,
    ...(field.integer ? { inputmode: 'numeric' } : {}),
    ...(field.suffix ? { suffix: { text: field.suffix } } : {}),
  }),
);

const DATE_PARTS = ['day', 'month', 'year'] as const;
type DatePart = (typeof DATE_PARTS)[number];
const MONTHS = [
  ...wordSet(
    'january february march april may june july august september october november december',
  ),
];

const dateKind: Kind<FieldOf<'date'>> = {
  read(field, body, today) {
    const typed = partsAt(body, field.name, DATE_PARTS);
    const raw = typed.raw;
    if (typed.tampered) return { raw, error: `${subjectOf(field)} must be a real date` };
    const parts = { day: raw.day.trim(), month: raw.month.trim(), year: raw.year.trim() };
    const missing = DATE_PARTS.filter((part) => !parts[part]);
    if (missing.length === DATE_PARTS.length)
      return field.optional ? { raw } : { raw, error: requiredError(field) };
    if (missing.length) return { raw, error: mustInclude(field, missing) };

    const notReal = { raw, error: `${subjectOf(field)} must be a real date` };
    const day = /^\d{1,2}$/.test(parts.day) ? Number(parts.day) : undefined;
    const month = monthNumber(parts.month);
    if (!/^\d+$/.test(parts.year) || parts.year.length > 10) return notReal;
    if (parts.year.length !== 4) return { raw, error: YEAR_INVALID };
    const year = Number(parts.year);
    if (day === undefined || month === undefined) return notReal;
    // Years before 1000 are typing slips, and JavaScript dates treat 0–99 as 1900–1999.
    if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month))
      return notReal;

    const iso = `${parts.year}-${pad(month)}-${pad(day)}`;
    if (field.past && iso > today)
      return { raw, error: `${subjectOf(field)} must be today or in the past` };
    if (field.future && iso <= today)
      return { raw, error: `${subjectOf(field)} must be in the future` };
    return { raw, value: iso };
  },
  component(field, raw, error) {
    const values = recordOf(raw);
    const atFault = error ? partsAtFault(field, error) : [];
    const birthday = /dateofbirth$/i.test(field.name);
    return {
      macro: 'govukDateInput',
      params: {
        id: field.name,
        namePrefix: field.name,
        fieldset: { legend: legend(field) },
        ...hintAndError(field, error),
        items: DATE_PARTS.map((part) => ({
          name: part,
          value: values[part] ?? '',
          classes: withError(
            part === 'year' ? 'govuk-input--width-4' : 'govuk-input--width-2',
            atFault.includes(part),
          ),
          ...(birthday ? { autocomplete: `bday-${part}` } : {}),
        })),
      },
    };
  },
  raw(_field, answer) {
    const match = typeof answer === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(answer) : null;
    if (!match) return undefined;
    const [, year = '', month = '', day = ''] = match;
    return { day: String(Number(day)), month: String(Number(month)), year };
  },
  display(_field, answer) {
    const match = typeof answer === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(answer) : null;
    if (!match) return [];
    const [, year, month, day] = match.map(Number);
    const when = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day));
    return [
      when.toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'long',
        year: 'numeric',
        timeZone: 'UTC',
      }),
    ];
  },
};

/** Radios, select and yes/no: one value from a fixed list. */
function oneOf<F extends FieldOf<'radios' | 'select' | 'yesno'>>(
  options: (field: F) => Option[],
  component: (field: F, chosen: string, error: string | undefined) => Component,
): Kind<F> {
  return {
    read(field, body) {
      const typed = stringAt(body, field.name);
      const raw = typed ?? '';
      const value = raw.trim();
      if (typed !== undefined && !value && field.optional) return { raw };
      if (!options(field).some((option) => option.value === value))
        return { raw, error: requiredError(field) };
      return { raw, value };
    },
    component: (field, raw, error) => component(field, typeof raw === 'string' ? raw : '', error),
    raw: (_field, answer) => (typeof answer === 'string' ? answer : undefined),
    display(field, answer) {
      if (typeof answer !== 'string') return [];
      return [options(field).find((option) => option.value === answer)?.text ?? answer];
    },
  };
}

const YES_NO: Option[] = [
  { value: 'yes', text: 'Yes' },
  { value: 'no', text: 'No' },
];

const radiosKind = oneOf<FieldOf<'radios'>>(
  (field) => field.options,
  (field, chosen, error) => ({
    macro: 'govukRadios',
    params: choiceParams(field, field.options, [chosen], error),
  }),
);

const yesnoKind = oneOf<FieldOf<'yesno'>>(
  () => YES_NO,
  (field, chosen, error) => ({
    macro: 'govukRadios',
    params: { ...choiceParams(field, YES_NO, [chosen], error), classes: 'govuk-radios--inline' },
  }),
);

const selectKind = oneOf<FieldOf<'select'>>(
  (field) => field.options,
  (field, chosen, error) => ({
    macro: 'govukSelect',
    params: {
      id: field.name,
      name: field.name,
      label: label(field),
      ...hintAndError(field, error),
      items: [
        { value: '', text: CHOOSE_AN_OPTION, selected: !chosen },
        ...field.options.map((option) => ({
          value: option.value,
          text: option.text,
          selected: option.value === chosen,
        })),
      ],
    },
  }),
);

const checkboxesKind: Kind<FieldOf<'checkboxes'>> = {
  read(field, body) {
    const ticked = listAt(body, field.name);
    const raw = ticked ?? [];
    if (ticked?.length === 0 && field.optional) return { raw };
    const known = new Set(field.options.map((option) => option.value));
    if (!ticked?.length || !ticked.every((value) => known.has(value)))
      return { raw, error: requiredError(field) };
    const value = field.options.map((o) => o.value).filter((v) => ticked.includes(v));
    const least = field.minSelected ?? 1;
    if (value.length < least)
      return {
        raw,
        error: least === 1 ? requiredError(field) : `Select at least ${least} options`,
      };
    return { raw, value };
  },
  component: (field, raw, error) => ({
    macro: 'govukCheckboxes',
    params: choiceParams(field, field.options, Array.isArray(raw) ? raw : [], error),
  }),
  raw: (_field, answer) => (isStringList(answer) ? [...answer] : undefined),
  display: (field, answer) =>
    isStringList(answer)
      ? answer.map((value) => field.options.find((o) => o.value === value)?.text ?? value)
      : [],
};

const CONFIRMED = 'confirmed';

const declarationKind: Kind<FieldOf<'declaration'>> = {
  read(field, body) {
    const ticked = listAt(body, field.name);
    const raw = ticked ?? [];
    return ticked?.length === 1 && ticked[0] === CONFIRMED
      ? { raw, value: true }
      : { raw, error: requiredError(field) };
  },
  component: (field, raw, error) => ({
    macro: 'govukCheckboxes',
    params: choiceParams(
      field,
      [{ value: CONFIRMED, text: field.text }],
      Array.isArray(raw) ? raw : [],
      error,
    ),
  }),
  raw: (_field, answer) => (answer === true ? [CONFIRMED] : undefined),
  display: (_field, answer) => (answer === true ? ['Confirmed'] : []),
};

const ADDRESS_PARTS = ['line1', 'line2', 'town', 'postcode'] as const;

const addressKind: Kind<FieldOf<'address'>> = {
  read(field, body) {
    const { raw } = partsAt(body, field.name, ADDRESS_PARTS);
    const line1 = raw.line1.trim();
    const line2 = raw.line2.trim();
    const town = raw.town.trim();
    const typedPostcode = raw.postcode.trim();
    if (!line1 && !line2 && !town && !typedPostcode && field.optional) return { raw };
    const error =
      (!line1 && ADDRESS_ERRORS.line1Missing) ||
      (line1.length > ADDRESS_LINE_MAX && ADDRESS_ERRORS.line1Long) ||
      (line2.length > ADDRESS_LINE_MAX && ADDRESS_ERRORS.line2Long) ||
      (!town && ADDRESS_ERRORS.townMissing) ||
      (town.length > ADDRESS_LINE_MAX && ADDRESS_ERRORS.townLong) ||
      (!typedPostcode && ADDRESS_ERRORS.postcodeMissing) ||
      undefined;
    if (error) return { raw, error };
    const postcode = ukPostcode(typedPostcode);
    if (!postcode) return { raw, error: ADDRESS_ERRORS.postcodeInvalid };
    return { raw, value: { line1, ...(line2 ? { line2 } : {}), town, postcode } };
  },
  component(field, raw, error) {
    const values = recordOf(raw);
    const atFault = error ? partsAtFault(field, error) : [];
    const input = (
      part: (typeof ADDRESS_PARTS)[number],
      text: string,
      autocomplete: string,
      classes?: string,
    ) => ({
      id: `${field.name}-${part}`,
      name: `${field.name}-${part}`,
      label: { text },
      value: values[part] ?? '',
      autocomplete,
      ...optionalEntry('classes', withError(classes, atFault.includes(part))),
      ...(part === 'postcode' ? { spellcheck: false } : {}),
    });
    return {
      macro: 'appAddress',
      params: groupParams(field, error, [
        input('line1', 'Address line 1', 'address-line1'),
        input('line2', 'Address line 2 (optional)', 'address-line2'),
        input('town', 'Town or city', 'address-level2', 'govuk-!-width-two-thirds'),
        input('postcode', 'Postcode', 'postal-code', 'govuk-input--width-10'),
      ]),
    };
  },
  raw: (_field, answer) =>
    isAddress(answer)
      ? {
          line1: answer.line1,
          line2: answer.line2 ?? '',
          town: answer.town,
          postcode: answer.postcode,
        }
      : undefined,
  display: (_field, answer) =>
    isAddress(answer)
      ? [answer.line1, answer.line2, answer.town, answer.postcode].filter((line): line is string =>
          Boolean(line),
        )
      : [],
};

const LOCATION_PARTS = ['description', 'lat', 'lng'] as const;

const locationKind: Kind<FieldOf<'location'>> = {
  read(field, body) {
    const typed = partsAt(body, field.name, LOCATION_PARTS);
    const raw = typed.raw;
    const description = raw.description.replace(/\r\n?/g, '\n').trim();
    const lat = raw.lat.trim();
    const lng = raw.lng.trim();
    if (!description && !lat && !lng && !typed.tampered && field.optional) return { raw };
    if (!description) return { raw, error: requiredError(field) };
    if (description.length > LOCATION_MAX) return { raw, error: LOCATION_LONG };
    if (!lat && !lng && !typed.tampered) return { raw, value: { description } };
    const point = { lat: coordinate(lat, UK.lat), lng: coordinate(lng, UK.lng) };
    if (point.lat === undefined || point.lng === undefined) return { raw, error: LOCATION_AGAIN };
    return { raw, value: { description, lat: point.lat, lng: point.lng } };
  },
  component(field, raw, error) {
    const values = recordOf(raw);
    const hidden = (part: 'lat' | 'lng') => ({
      id: `${field.name}-${part}`,
      name: `${field.name}-${part}`,
      type: 'hidden',
      value: values[part] ?? '',
    });
    return {
      macro: 'appLocation',
      params: groupParams(field, error, [
        {
          id: `${field.name}-description`,
          name: `${field.name}-description`,
          label: { text: 'Describe where it is' },
          hint: { text: 'For example, the road name and a nearby house number or landmark.' },
          value: values.description ?? '',
          ...optionalEntry(
            'classes',
            withError(undefined, error !== undefined && error !== LOCATION_AGAIN),
          ),
        },
        hidden('lat'),
        hidden('lng'),
      ]),
    };
  },
  raw: (_field, answer) =>
    isLocation(answer)
      ? {
          description: answer.description,
          lat: answer.lat === undefined ? '' : String(answer.lat),
          lng: answer.lng === undefined ? '' : String(answer.lng),
        }
      : undefined,
  display: (_field, answer) =>
    isLocation(answer) ? answer.description.split('\n').filter((line) => line.trim()) : [],
};

/** Files are read and checked by uploads.ts; this only renders the input and shows the name. */
const fileKind: Kind<FieldOf<'file'>> = {
  read: () => ({ raw: '' }),
  component: (field, _raw, error) => ({
    macro: 'govukFileUpload',
    params: {
      id: field.name,
      name: field.name,
      label: label(field),
      ...hintAndError(field, error),
      attributes: { accept: acceptAttribute(field.accept) },
    },
  }),
  raw: () => undefined,
  display: (_field, answer) => (isFileAnswer(answer) ? [answer.filename] : []),
};

const kinds: { [T in FieldType]: Kind<FieldOf<T>> } = {
  text: textKind,
  textarea: textareaKind,
  number: numberKind,
  email: emailKind,
  phone: phoneKind,
  date: dateKind,
  radios: radiosKind,
  checkboxes: checkboxesKind,
  select: selectKind,
  yesno: yesnoKind,
  address: addressKind,
  file: fileKind,
  location: locationKind,
  declaration: declarationKind,
};

// ---------------------------------------------------------------------------------------
// Parameters shared by several macros

function label(field: Field) {
  return { text: field.label, classes: 'govuk-label--s' };
}

function legend(field: Field) {
  return { text: field.label, classes: 'govuk-fieldset__legend--s' };
}

function hintAndError(field: Field, error: string | undefined) {
  return {
    ...(field.hint ? { hint: { text: field.hint } } : {}),
    ...(error ? { errorMessage: { text: error } } : {}),
  };
}

/** Radios and checkboxes: ids `name`, `name-2`, `name-3`… as govuk-frontend numbers them. */
function choiceParams(
  field: Field,
  options: Option[],
  chosen: string[],
  error: string | undefined,
): Record<string, unknown> {
  return {
    idPrefix: field.name,
    name: field.name,
    fieldset: { legend: legend(field) },
    ...hintAndError(field, error),
    items: options.map((option) => ({
      value: option.value,
      text: option.text,
      ...(option.hint ? { hint: { text: option.hint } } : {}),
      checked: chosen.includes(option.value),
    })),
  };
}

/** Address and location: several govukInputs in a fieldset described by its hint and error. */
function groupParams(
  field: Field,
  error: string | undefined,
  inputs: Record<string, unknown>[],
): Record<string, unknown> {
  const hintId = `${field.name}-hint`;
  const errorId = `${field.name}-error`;
  const describedBy = [field.hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ');
  return {
    id: field.name,
    fieldset: { legend: legend(field), ...(describedBy ? { describedBy } : {}) },
    ...(field.hint ? { hint: { id: hintId, text: field.hint } } : {}),
    ...(error ? { errorMessage: { id: errorId, text: error } } : {}),
    inputs,
  };
}

function withError(classes: string | undefined, atFault: boolean): string | undefined {
  if (!atFault) return classes;
  return classes ? `${classes} govuk-input--error` : 'govuk-input--error';
}

function optionalEntry<K extends string>(key: K, value: string | undefined) {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
}

/** Text fields whose name says what the browser can fill in. */
const KNOWN_AUTOCOMPLETE: Partial<Record<string, string>> = { fullName: 'name' };

function acceptAttribute(accept: ('image' | 'pdf')[]): string {
  const types = accept.flatMap((kind) =>
    kind === 'image'
      ? ['image/jpeg', 'image/png', 'image/webp', 'image/heic', '.heic']
      : ['application/pdf'],
  );
  return types.join(',');
}

/**
 * Which inputs of a date or address an error is about, so only they are outlined in red and
 * the error summary links to the first. [] means the whole field.
 */
function partsAtFault(field: Field, error: string): string[] {
  if (field.type === 'date') {
    if (error === YEAR_INVALID) return ['year'];
    for (const missing of subsets(DATE_PARTS))
      if (error === mustInclude(field, missing)) return missing;
    return [];
  }
  if (field.type === 'address') {
    const e = ADDRESS_ERRORS;
    if (error === e.line1Missing || error === e.line1Long) return ['line1'];
    if (error === e.line2Long) return ['line2'];
    if (error === e.townMissing || error === e.townLong) return ['town'];
    if (error === e.postcodeMissing || error === e.postcodeInvalid) return ['postcode'];
  }
  return [];
}

function subsets<T>(items: readonly T[]): T[][] {
  return items
    .reduce<T[][]>((all, item) => all.concat(all.map((set) => [...set, item])), [[]])
    .filter((set) => set.length > 0 && set.length < items.length);
}

// ---------------------------------------------------------------------------------------
// Reading a form body that may have been tampered with

/** A string, '' when absent, or undefined when it is not a string (a list, say). */
function stringAt(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : undefined;
}

/** Ticked values (one string or several), or undefined when something else was sent. */
function listAt(body: Body, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value ? [value] : [];
  if (isStringList(value)) return value.filter(Boolean);
  return undefined;
}

function partsAt<P extends string>(
  body: Body,
  name: string,
  parts: readonly P[],
): { raw: Record<P, string>; tampered: boolean } {
  let tampered = false;
  const raw = {} as Record<P, string>;
  for (const part of parts) {
    const value = stringAt(body, `${name}-${part}`);
    if (value === undefined) tampered = true;
    raw[part] = value ?? '';
  }
  return { raw, tampered };
}

function recordOf(raw: RawAnswer | undefined): Partial<Record<string, string>> {
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isAddress(answer: Answer): answer is AddressAnswer {
  return (
    typeof answer === 'object' &&
    !Array.isArray(answer) &&
    'line1' in answer &&
    'town' in answer &&
    'postcode' in answer
  );
}

function isLocation(answer: Answer): answer is LocationAnswer {
  return typeof answer === 'object' && !Array.isArray(answer) && 'description' in answer;
}

function isFileAnswer(answer: Answer): answer is FileAnswer {
  return typeof answer === 'object' && !Array.isArray(answer) && 'filename' in answer;
}

// ---------------------------------------------------------------------------------------
// Checking and cleaning values

function isEmail(value: string): boolean {
  if (value.length > SHORT_MAX) return false;
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  if (at < 1 || local.length > 64 || local.startsWith('.') || local.endsWith('.')) return false;
  if (local.includes('..')) return false;
  return /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(
    value,
  );
}

/** UK numbers: 10 or 11 digits from 0, or +44 / 0044 (with or without "(0)"). */
function isUkPhone(value: string): boolean {
  if (value.length > 30) return false;
  const compact = value.replace(/[\s().-]/g, '');
  const national = compact.replace(/^(?:\+44|0044)0?/, '0');
  return /^0\d{9,10}$/.test(national) && /^[\d\s()+.-]+$/.test(value);
}

/** A UK postcode in capitals with one space, like "WM1 1AA", or undefined. */
function ukPostcode(value: string): string | undefined {
  if (value.length > 12) return undefined;
  const compact = value.replace(/\s+/g, '').toUpperCase();
  if (!/^(?:[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}|GIR0AA)$/.test(compact)) return undefined;
  return `${compact.slice(0, -3)} ${compact.slice(-3)}`;
}

function coordinate(value: string, [low, high]: readonly [number, number]): number | undefined {
  if (!/^-?\d{1,3}(?:\.\d{1,15})?$/.test(value)) return undefined;
  const degrees = Number(value);
  return degrees >= low && degrees <= high ? degrees : undefined;
}

function monthNumber(value: string): number | undefined {
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const name = value.toLowerCase();
  if (name.length < 3 || name.length > 9) return undefined;
  const index = MONTHS.findIndex((month) => month.startsWith(name));
  return index === -1 ? undefined : index + 1;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Today's date in the UK as 'YYYY-MM-DD', whatever the server's time zone. */
function londonDate(now: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function formatNumber(value: number): string {
  return value.toLocaleString('en-GB', { maximumFractionDigits: 6 });
}

function formatAmount(field: FieldOf<'number'>, value: number): string {
  if (field.suffix === 'pounds')
    return `£${value.toLocaleString('en-GB', {
      minimumFractionDigits: Number.isInteger(value) ? 0 : 2,
      maximumFractionDigits: 2,
    })}`;
  return field.suffix ? `${formatNumber(value)} ${field.suffix}` : formatNumber(value);
}

// ---------------------------------------------------------------------------------------
// Error wording from a question's label
//
// Services are written by council staff, so the messages are made from their labels: a noun
// phrase ("Your full name") becomes "Enter your full name"; an instruction ("Tell us what
// happened") is used as it is; a question is turned round into a clause ("Who is the badge
// for?" → "Select who the badge is for", "Do you need an interpreter?" → "Select yes if you
// need an interpreter"). Where the grammar is beyond these few rules the message falls back to
// a plain one for the field type rather than a broken sentence.

type Label =
  /** "Your full name" */
  | { kind: 'noun'; text: string }
  /** "Tell us what happened", with its verb */
  | { kind: 'instruction'; verb: string; text: string }
  /** A wh-question as a clause: "what you need", "who the badge is for" */
  | { kind: 'which'; text: string }
  /** A yes/no question as a clause: "you need an interpreter" */
  | { kind: 'whether'; text: string }
  /** A question these rules cannot turn round */
  | { kind: 'question' };

const INSTRUCTIONS = wordSet(
  'tell describe choose select pick enter upload show give confirm explain list add provide',
);
const WH = wordSet('what which who whose where when why how');
const DO = wordSet('do does did');
const BE = wordSet('is are was were am');
const HAVE = wordSet('has have had');
const MODALS = wordSet('will would should can could may might must shall');
const AUXILIARIES = new Set([...DO, ...BE, ...HAVE, ...MODALS]);
const PRONOUNS = wordSet(
  'i you we they it he she this that there anyone anybody someone somebody everyone people',
);
const DETERMINERS = wordSet('the a an your their his her its our my both these those');
/** Words that start what is said about a subject: "the child is in danger", "is part of". */
const PREDICATE_STARTS = wordSet(
  'about able after allowed already at before being born by currently for from in inside into near not now of on out outside over part still to under with within without',
);
const ADVERBS = wordSet('already ever never not been got just recently');
const PAST: Partial<Record<string, string>> = {
  be: 'was',
  begin: 'began',
  break: 'broke',
  bring: 'brought',
  build: 'built',
  buy: 'bought',
  come: 'came',
  cut: 'cut',
  do: 'did',
  drive: 'drove',
  eat: 'ate',
  fall: 'fell',
  feel: 'felt',
  find: 'found',
  get: 'got',
  give: 'gave',
  go: 'went',
  have: 'had',
  hear: 'heard',
  hit: 'hit',
  hurt: 'hurt',
  keep: 'kept',
  know: 'knew',
  leave: 'left',
  lose: 'lost',
  make: 'made',
  meet: 'met',
  pay: 'paid',
  put: 'put',
  ride: 'rode',
  run: 'ran',
  say: 'said',
  see: 'saw',
  send: 'sent',
  sit: 'sat',
  speak: 'spoke',
  stand: 'stood',
  take: 'took',
  tell: 'told',
  think: 'thought',
  win: 'won',
  write: 'wrote',
};
const THIRD_PERSON: Partial<Record<string, string>> = {
  be: 'is',
  do: 'does',
  go: 'goes',
  have: 'has',
};
const MEASURES: Partial<Record<string, string>> = {
  deep: 'depth',
  wide: 'width',
  long: 'length',
  far: 'distance',
  old: 'age',
  tall: 'height',
  high: 'height',
  heavy: 'weight',
  big: 'size',
};

/** Word lists are written as one string of words, to be read rather than scrolled. */
function wordSet(list: string): Set<string> {
  return new Set(list.split(' '));
}

function readLabel(label: string): Label {
  let text = label.trim().replace(/\s+/g, ' ');
  const question = text.endsWith('?');
  if (question) text = text.slice(0, -1).trimEnd();
  // "Name of the bus stop (if you know it)", "Child's age, roughly": the qualifier is for the
  // question, not for what it asks for.
  text = text
    .replace(/\s*\((?:if|optional)\b[^)]*\)$/i, '')
    .replace(/,\s*(?:if\b[^,]*|roughly)$/i, '');
  const words = text.split(' ');
  const first = bare(words[0]);
  if (INSTRUCTIONS.has(first)) return { kind: 'instruction', verb: first, text };
  if (!question) return { kind: 'noun', text };
  if ((first === 'about' || first === 'roughly') && WH.has(bare(words[1]))) words.shift();
  const lead = bare(words[0]);
  if (WH.has(lead)) {
    const clause = whClause(words);
    return clause ? { kind: 'which', text: clause } : { kind: 'question' };
  }
  if (AUXILIARIES.has(lead)) {
    const clause = uninvert(words, 0);
    return Array.isArray(clause)
      ? { kind: 'whether', text: clause.join(' ') }
      : { kind: 'question' };
  }
  return { kind: 'question' };
}

/** "What kind of animal is it" → "what kind of animal it is"; "Which library" → "the library". */
function whClause(words: string[]): string | undefined {
  const at = words.findIndex((word, i) => i > 0 && AUXILIARIES.has(bare(word)));
  if (at === -1) {
    const phrase = words.slice(1);
    if (bare(words[0]) === 'which' && phrase.length <= 3 && !phrase.some((w) => bare(w) === 'of'))
      return ['the', ...phrase].join(' ');
    return lowerFirst(words.join(' '));
  }
  const clause = uninvert(words, at);
  if (clause === 'as-is') return lowerFirst(words.join(' '));
  return clause && lowerFirst([...words.slice(0, at), ...clause].join(' '));
}

/**
 * Puts the subject back before the verb from the auxiliary at `at` on: "do you need it" → "you
 * need it", "is the child in danger" → "the child is in danger". 'as-is' when the words after
 * the auxiliary are not a subject ("what is wrong", "who was affected"); undefined when the
 * subject's end cannot be told with confidence.
 */
function uninvert(words: string[], at: number): string[] | 'as-is' | undefined {
  const aux = bare(words[at]);
  const rest = words.slice(at + 1);
  const head = bare(rest[0]);
  let subject: string[];
  if (PRONOUNS.has(head)) {
    const word = (rest[0] ?? '').toLowerCase();
    subject = [head === 'i' ? word.toUpperCase() : word];
  } else if (DETERMINERS.has(head) && rest.length >= 2) {
    let length = 2;
    while (length < rest.length && /['’]s$/.test(bare(rest[length - 1]))) length++;
    subject = rest.slice(0, length);
  } else {
    return head && !DETERMINERS.has(head) ? 'as-is' : undefined;
  }
  const after = rest.slice(subject.length);
  // "How deep is the space, from…": the comma moves with the verb.
  const last = subject.at(-1) ?? '';
  const comma = last.endsWith(',') ? ',' : '';
  if (comma) subject = [...subject.slice(0, -1), last.slice(0, -1)];
  const known = subject.length === 1;
  const next = bare(after[0]);

  if (DO.has(aux)) {
    if (!/^[a-z]+$/.test(next)) return undefined;
    const verb = aux === 'do' ? next : aux === 'does' ? thirdPerson(next) : pastTense(next);
    const punctuation = (after[0] ?? '').slice(next.length);
    return [...subject, verb + punctuation + comma, ...after.slice(1)];
  }
  if (BE.has(aux) && !known) {
    const predicate = after.length <= 1 || PREDICATE_STARTS.has(next) || /(?:ed|ing)$/.test(next);
    if (!predicate) return undefined;
  }
  if (HAVE.has(aux) && !known && !(ADVERBS.has(next) || /(?:ed|en)$/.test(next))) return undefined;
  return [...subject, aux + comma, ...after];
}

function thirdPerson(verb: string): string {
  const irregular = THIRD_PERSON[verb];
  if (irregular) return irregular;
  if (/(?:s|sh|ch|x|z|o)$/.test(verb)) return `${verb}es`;
  if (/[^aeiou]y$/.test(verb)) return `${verb.slice(0, -1)}ies`;
  return `${verb}s`;
}

function pastTense(verb: string): string {
  const irregular = PAST[verb];
  if (irregular) return irregular;
  if (verb.endsWith('e')) return `${verb}d`;
  if (/[^aeiou]y$/.test(verb)) return `${verb.slice(0, -1)}ied`;
  return `${verb}ed`;
}

/** A word without case or the punctuation after it. */
function bare(word: string | undefined): string {
  return (word ?? '').toLowerCase().replace(/[,;:.]+$/, '');
}

function selectError(label: Label, fallback: string): string {
  switch (label.kind) {
    case 'noun':
      return `Select ${lowerFirst(label.text)}`;
    case 'instruction':
      return ['choose', 'select', 'pick'].includes(label.verb)
        ? `Select ${afterVerb(label.text)}`
        : label.text;
    case 'which':
      return `Select ${label.text}`;
    case 'whether':
      return `Select if ${label.text}`;
    case 'question':
      return fallback;
  }
}

function enterError(
  field: FieldOf<'text' | 'textarea' | 'number' | 'email' | 'phone' | 'date'>,
  label: Label,
): string {
  switch (label.kind) {
    case 'noun':
      return `Enter ${withArticle(field, lowerFirst(label.text))}`;
    case 'instruction':
      return label.text;
    case 'which':
      return `Enter ${label.text}`;
    case 'whether':
      return `Tell us if ${label.text}`;
    case 'question':
      switch (field.type) {
        case 'number':
          return `Enter ${numberSubject(field)}`;
        case 'email':
          return 'Enter an email address';
        case 'phone':
          return 'Enter a telephone number';
        case 'date':
          return 'Enter a date';
        case 'text':
        case 'textarea':
          return 'Enter your answer';
      }
  }
}

/** What the answer is called at the start of a sentence: "Date of birth must be a real date". */
function subjectOf(field: Field): string {
  const label = readLabel(field.label);
  if (label.kind === 'noun') return upperFirst(label.text);
  if (field.type === 'number') return upperFirst(numberSubject(field));
  if (field.type === 'date') return 'The date';
  if (label.kind === 'instruction' && label.verb === 'describe') return 'The description';
  return 'Your answer';
}

/** "How many chairs?" → "the number of chairs"; "How much…?" → "the amount". */
function numberSubject(field: FieldOf<'number'>): string {
  const question = field.label.toLowerCase();
  const many = /\bhow many ([a-z]+)/.exec(question);
  if (many) return `the number of ${many[1] ?? ''}`;
  if (/\bhow much\b/.test(question) || field.suffix === 'pounds') return 'the amount';
  const measure = /\bhow ([a-z]+)/.exec(question)?.[1];
  const noun = measure && MEASURES[measure];
  if (noun) return `the ${noun}`;
  return field.suffix ? `the number of ${field.suffix}` : 'the number';
}

function mustInclude(field: Field, missing: readonly DatePart[]): string {
  return `${subjectOf(field)} must include a ${missing.join(' and ')}`;
}

function tooLong(field: Field, max: number): string {
  return `${subjectOf(field)} must be ${formatNumber(max)} characters or fewer`;
}

/** "Email address" → "an email address": email and phone read oddly without one. */
function withArticle(field: Field, phrase: string): string {
  if (field.type !== 'email' && field.type !== 'phone') return phrase;
  const first = bare(phrase.split(' ')[0]);
  if (DETERMINERS.has(first) || /['’]s\b/.test(phrase)) return phrase;
  return `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
}

/** "Choose a library" → "a library"; "Show us where it is" → "where it is". */
function afterVerb(text: string): string {
  return text.replace(/^\S+\s+(?:us\s+)?/i, '');
}

/** Lower-cases the first letter unless it starts a name or initials ("National Insurance"). */
function lowerFirst(text: string): string {
  const [first = '', second = ''] = text.split(' ');
  if (first === 'I' || (first.length > 1 && first === first.toUpperCase())) return text;
  if (/^[A-Z]/.test(second) && !DETERMINERS.has(first.toLowerCase())) return text;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
