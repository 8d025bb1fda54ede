import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JSDOM } from 'jsdom';
import nunjucks from 'nunjucks';
import { conditionHolds, type Field } from '../catalogue/definition.js';
import { createViews } from '../../platform/views/views.js';
import {
  componentFor,
  displayAnswer,
  firstInputId,
  rawFromAnswer,
  readField,
  requiredError,
  type Answer,
  type Component,
  type RawAnswer,
} from './fields.js';

type Input = Record<string, unknown>;
type FieldOf<T extends Field['type']> = Extract<Field, { type: T }>;
type Settings<T extends Field['type']> = Omit<FieldOf<T>, 'type' | 'name' | 'optional'> & {
  name?: string;
  optional?: boolean;
};

/** A field as the catalogue loads it: defaults filled in, named `answer` unless told. */
function field<T extends Field['type']>(type: T, settings: Settings<T>): FieldOf<T> {
  return { name: 'answer', optional: false, ...settings, type } as FieldOf<T>;
}

/** Every test reads dates as if today were 15 June 2025 in the UK. */
const NOW = new Date('2025-06-15T12:00:00Z');
const read = (f: Field, body: Record<string, unknown>) => readField(f, body, NOW);

const fullName = field('text', { name: 'fullName', label: 'Your full name', maxLength: 10 });
const comments = field('textarea', { label: 'Tell us what happened', maxLength: 20 });
const hours = field('number', {
  label: 'How many hours a week in term time?',
  integer: true,
  min: 1,
  max: 12,
  suffix: 'hours',
});
const claim = field('number', {
  label: 'How much are you claiming?',
  integer: false,
  min: 0,
  suffix: 'pounds',
  optional: true,
});
const age = field('number', { label: 'Child’s age, roughly', integer: true, max: 17 });
const email = field('email', { name: 'email', label: 'Email address' });
const phone = field('phone', { name: 'phone', label: 'Phone number' });
const birthday = field('date', {
  name: 'dateOfBirth',
  label: 'Date of birth',
  past: true,
  future: false,
});
const visit = field('date', {
  name: 'visit',
  label: 'When do you want to start?',
  past: false,
  future: true,
});
const badgeFor = field('radios', {
  name: 'applicant',
  label: 'Who is the badge for?',
  options: [
    { value: 'myself', text: 'Me' },
    { value: 'someone-else', text: 'Someone else', hint: 'For example, a child.' },
  ],
});
const library = field('select', {
  name: 'library',
  label: 'Which library?',
  options: [
    { value: 'central', text: 'Central Library' },
    { value: 'riverside', text: 'Riverside Library' },
  ],
});
const dumped = field('checkboxes', {
  name: 'dumped',
  label: 'What has been dumped?',
  options: [
    { value: 'bags', text: 'Bags of rubbish' },
    { value: 'furniture', text: 'Furniture' },
    { value: 'tyres', text: 'Tyres' },
  ],
});
const days = field('checkboxes', {
  name: 'days',
  label: 'Which days will they work?',
  minSelected: 2,
  options: [
    { value: 'saturday', text: 'Saturday' },
    { value: 'sunday', text: 'Sunday' },
    { value: 'monday', text: 'Monday' },
  ],
});
const interpreter = field('yesno', {
  name: 'needsInterpreter',
  label: 'Do you need an interpreter at the hearing?',
});
const home = field('address', { name: 'home', label: 'Your address' });
const spot = field('location', { name: 'spot', label: 'Where did it happen?', hint: 'Be exact.' });
const photo = field('file', {
  name: 'photo',
  label: 'Upload a photo of your face',
  accept: ['image'],
  maxMb: 10,
});
const declaration = field('declaration', {
  name: 'declaration',
  label: 'Confirm your application',
  text: 'The information I have given is true.',
});

interface Case {
  name: string;
  field: Field;
  body: Record<string, unknown>;
  value?: Answer;
  error?: string;
}

const cases: Case[] = [
  // text
  { name: 'text trimmed', field: fullName, body: { fullName: '  Ann Lee ' }, value: 'Ann Lee' },
  { name: 'text missing', field: fullName, body: {}, error: 'Enter your full name' },
  { name: 'text blank', field: fullName, body: { fullName: '   ' }, error: 'Enter your full name' },
  {
    name: 'text too long',
    field: fullName,
    body: { fullName: 'Annabel Lee Smith' },
    error: 'Your full name must be 10 characters or fewer',
  },
  {
    name: 'text sent twice (tampered)',
    field: fullName,
    body: { fullName: ['Ann', 'Bob'] },
    error: 'Enter your full name',
  },
  {
    name: 'text sent as an object (tampered)',
    field: fullName,
    body: { fullName: { a: 'b' } },
    error: 'Enter your full name',
  },
  {
    name: 'optional text blank',
    field: { ...fullName, optional: true },
    body: { fullName: '' },
  },
  {
    name: 'optional text still checked when filled',
    field: { ...fullName, optional: true },
    body: { fullName: 'Annabel Lee Smith' },
    error: 'Your full name must be 10 characters or fewer',
  },
  // textarea
  {
    name: 'textarea line endings made \\n',
    field: comments,
    body: { answer: 'Line one\r\nLine two\r\n' },
    value: 'Line one\nLine two',
  },
  { name: 'textarea missing', field: comments, body: {}, error: 'Tell us what happened' },
  {
    name: 'textarea too long',
    field: comments,
    body: { answer: 'x'.repeat(21) },
    error: 'Your answer must be 20 characters or fewer',
  },
  // number
  { name: 'number', field: hours, body: { answer: ' 12 ' }, value: 12 },
  {
    name: 'number missing',
    field: hours,
    body: {},
    error: 'Enter how many hours a week in term time',
  },
  {
    name: 'number not a number',
    field: hours,
    body: { answer: 'ten' },
    error: 'The number of hours must be a number',
  },
  {
    name: 'number not whole',
    field: hours,
    body: { answer: '2.5' },
    error: 'The number of hours must be a whole number',
  },
  {
    name: 'number out of range',
    field: hours,
    body: { answer: '13' },
    error: 'The number of hours must be between 1 and 12',
  },
  {
    name: 'number with pounds and commas',
    field: claim,
    body: { answer: '£1,250.50' },
    value: 1250.5,
  },
  { name: 'optional number blank', field: claim, body: { answer: '' } },
  {
    name: 'number below its minimum',
    field: claim,
    body: { answer: '-5' },
    error: 'The amount must be at least 0',
  },
  {
    name: 'number above its maximum',
    field: age,
    body: { answer: '18' },
    error: 'Child’s age must be at most 17',
  },
  { name: 'number missing, noun label', field: age, body: {}, error: 'Enter child’s age' },
  // email
  {
    name: 'email lower-cased',
    field: email,
    body: { email: ' Resident@Example.COM ' },
    value: 'resident@example.com',
  },
  { name: 'email missing', field: email, body: {}, error: 'Enter an email address' },
  ...[
    'name@',
    'name',
    '@example.com',
    'name@example',
    'a b@example.com',
    'name..x@example.com',
  ].map((typed): Case => ({
    name: `email "${typed}"`,
    field: email,
    body: { email: typed },
    error: 'Enter an email address in the correct format, like name@example.com',
  })),
  // phone
  ...[
    '01632 960 001',
    '07700 900 982',
    '+44 808 157 0192',
    '+44 (0)20 7946 0000',
    '(01632) 960-001',
  ].map((typed): Case => ({
    name: `phone "${typed}"`,
    field: phone,
    body: { phone: typed },
    value: typed,
  })),
  { name: 'phone missing', field: phone, body: {}, error: 'Enter a phone number' },
  ...['123', '01632 9600', 'call me', '+1 202 555 0100', '016329600011234'].map((typed): Case => ({
    name: `phone "${typed}"`,
    field: phone,
    body: { phone: typed },
    error: 'Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192',
  })),
  // date
  {
    name: 'date',
    field: birthday,
    body: { 'dateOfBirth-day': '3', 'dateOfBirth-month': '03', 'dateOfBirth-year': '2021' },
    value: '2021-03-03',
  },
  {
    name: 'date with the month as a word',
    field: birthday,
    body: { 'dateOfBirth-day': ' 3 ', 'dateOfBirth-month': 'Sept', 'dateOfBirth-year': '2021' },
    value: '2021-09-03',
  },
  {
    name: 'date today is in the past',
    field: birthday,
    body: dateBody('dateOfBirth', '15', '6', '2025'),
    value: '2025-06-15',
  },
  { name: 'date missing', field: birthday, body: {}, error: 'Enter date of birth' },
  {
    name: 'date missing its month',
    field: birthday,
    body: dateBody('dateOfBirth', '3', '', '2021'),
    error: 'Date of birth must include a month',
  },
  {
    name: 'date missing day and year',
    field: birthday,
    body: dateBody('dateOfBirth', '', '3', ''),
    error: 'Date of birth must include a day and year',
  },
  {
    name: 'date not real',
    field: birthday,
    body: dateBody('dateOfBirth', '31', '2', '2021'),
    error: 'Date of birth must be a real date',
  },
  {
    name: 'date 29 February in a leap year',
    field: birthday,
    body: dateBody('dateOfBirth', '29', '2', '2024'),
    value: '2024-02-29',
  },
  {
    name: 'date in year 0',
    field: birthday,
    body: dateBody('dateOfBirth', '1', '1', '0000'),
    error: 'Date of birth must be a real date',
  },
  {
    name: 'date with letters',
    field: birthday,
    body: dateBody('dateOfBirth', 'x', '2', '2021'),
    error: 'Date of birth must be a real date',
  },
  {
    name: 'date with a 2-digit year',
    field: birthday,
    body: dateBody('dateOfBirth', '3', '3', '21'),
    error: 'Year must include 4 numbers',
  },
  {
    name: 'date in the future when it must be past',
    field: birthday,
    body: dateBody('dateOfBirth', '16', '6', '2025'),
    error: 'Date of birth must be today or in the past',
  },
  {
    name: 'date today when it must be future',
    field: visit,
    body: dateBody('visit', '15', '6', '2025'),
    error: 'The date must be in the future',
  },
  {
    name: 'date in the future',
    field: visit,
    body: dateBody('visit', '1', '1', '2026'),
    value: '2026-01-01',
  },
  {
    name: 'date missing, question label',
    field: visit,
    body: {},
    error: 'Enter when you want to start',
  },
  {
    name: 'date part sent twice (tampered)',
    field: birthday,
    body: { ...dateBody('dateOfBirth', '3', '3', '2021'), 'dateOfBirth-day': ['3', '4'] },
    error: 'Date of birth must be a real date',
  },
  {
    name: 'optional date blank',
    field: { ...visit, optional: true },
    body: dateBody('visit', '', '', ''),
  },
  // radios
  { name: 'radios', field: badgeFor, body: { applicant: 'someone-else' }, value: 'someone-else' },
  { name: 'radios missing', field: badgeFor, body: {}, error: 'Select who the badge is for' },
  {
    name: 'radios value not an option (tampered)',
    field: badgeFor,
    body: { applicant: 'everyone' },
    error: 'Select who the badge is for',
  },
  {
    name: 'radios sent twice (tampered)',
    field: badgeFor,
    body: { applicant: ['myself', 'someone-else'] },
    error: 'Select who the badge is for',
  },
  { name: 'optional radios blank', field: { ...badgeFor, optional: true }, body: {} },
  // select
  { name: 'select', field: library, body: { library: 'central' }, value: 'central' },
  {
    name: 'select the empty first item',
    field: library,
    body: { library: '' },
    error: 'Select the library',
  },
  {
    name: 'select not an option',
    field: library,
    body: { library: 'mars' },
    error: 'Select the library',
  },
  // checkboxes
  { name: 'checkboxes one ticked', field: dumped, body: { dumped: 'tyres' }, value: ['tyres'] },
  {
    name: 'checkboxes in the options’ order, once each',
    field: dumped,
    body: { dumped: ['tyres', 'bags', 'tyres'] },
    value: ['bags', 'tyres'],
  },
  { name: 'checkboxes none', field: dumped, body: {}, error: 'Select what has been dumped' },
  {
    name: 'checkboxes value not an option (tampered)',
    field: dumped,
    body: { dumped: ['bags', 'gold'] },
    error: 'Select what has been dumped',
  },
  {
    name: 'checkboxes sent as an object (tampered)',
    field: dumped,
    body: { dumped: { 0: 'bags' } },
    error: 'Select what has been dumped',
  },
  {
    name: 'checkboxes too few',
    field: days,
    body: { days: 'monday' },
    error: 'Select at least 2 options',
  },
  {
    name: 'checkboxes enough',
    field: days,
    body: { days: ['monday', 'saturday'] },
    value: ['saturday', 'monday'],
  },
  { name: 'optional checkboxes none', field: { ...dumped, optional: true }, body: {} },
  // yes/no
  { name: 'yes', field: interpreter, body: { needsInterpreter: 'yes' }, value: 'yes' },
  { name: 'no', field: interpreter, body: { needsInterpreter: 'no' }, value: 'no' },
  {
    name: 'yes/no missing',
    field: interpreter,
    body: {},
    error: 'Select yes if you need an interpreter at the hearing',
  },
  {
    name: 'yes/no neither (tampered)',
    field: interpreter,
    body: { needsInterpreter: 'true' },
    error: 'Select yes if you need an interpreter at the hearing',
  },
  // address
  {
    name: 'address, postcode tidied',
    field: home,
    body: addressBody('home', ' 1 High Street ', '', 'Westmoor', 'wm11aa'),
    value: { line1: '1 High Street', town: 'Westmoor', postcode: 'WM1 1AA' },
  },
  {
    name: 'address with line 2',
    field: home,
    body: addressBody('home', 'Flat 2', '1 High Street', 'Westmoor', 'sw1a  2aa'),
    value: { line1: 'Flat 2', line2: '1 High Street', town: 'Westmoor', postcode: 'SW1A 2AA' },
  },
  {
    name: 'address missing',
    field: home,
    body: {},
    error: 'Enter address line 1, typically the building and street',
  },
  {
    name: 'address missing line 1',
    field: home,
    body: addressBody('home', '', '', 'Westmoor', 'WM1 1AA'),
    error: 'Enter address line 1, typically the building and street',
  },
  {
    name: 'address missing town',
    field: home,
    body: addressBody('home', '1 High Street', '', '', 'WM1 1AA'),
    error: 'Enter town or city',
  },
  {
    name: 'address missing postcode',
    field: home,
    body: addressBody('home', '1 High Street', '', 'Westmoor', ''),
    error: 'Enter postcode',
  },
  {
    name: 'address postcode not real',
    field: home,
    body: addressBody('home', '1 High Street', '', 'Westmoor', 'WM1'),
    error: 'Enter a full UK postcode',
  },
  {
    name: 'address line 2 too long',
    field: home,
    body: addressBody('home', '1 High Street', 'x'.repeat(101), 'Westmoor', 'WM1 1AA'),
    error: 'Address line 2 must be 100 characters or fewer',
  },
  {
    name: 'address line sent twice (tampered)',
    field: home,
    body: {
      ...addressBody('home', '1 High Street', '', 'Westmoor', 'WM1 1AA'),
      'home-town': ['a', 'b'],
    },
    error: 'Enter town or city',
  },
  {
    name: 'optional address blank',
    field: { ...home, optional: true },
    body: addressBody('home', '', '', '', ''),
  },
  {
    name: 'optional address part filled',
    field: { ...home, optional: true },
    body: addressBody('home', '', '', 'Westmoor', ''),
    error: 'Enter address line 1, typically the building and street',
  },
  // location
  {
    name: 'location described',
    field: spot,
    body: { 'spot-description': ' Outside 12 Market Street ' },
    value: { description: 'Outside 12 Market Street' },
  },
  {
    name: 'location with a point',
    field: spot,
    body: { 'spot-description': 'By the bridge', 'spot-lat': '52.48', 'spot-lng': '-1.89' },
    value: { description: 'By the bridge', lat: 52.48, lng: -1.89 },
  },
  { name: 'location missing', field: spot, body: {}, error: 'Describe where it happened' },
  {
    name: 'location point without a description',
    field: spot,
    body: { 'spot-lat': '52.48', 'spot-lng': '-1.89' },
    error: 'Describe where it happened',
  },
  {
    name: 'location outside the UK',
    field: spot,
    body: { 'spot-description': 'Paris', 'spot-lat': '48.85', 'spot-lng': '2.35' },
    error: 'Choose the location again',
  },
  {
    name: 'location with only a latitude',
    field: spot,
    body: { 'spot-description': 'By the bridge', 'spot-lat': '52.48' },
    error: 'Choose the location again',
  },
  {
    name: 'location point not a number',
    field: spot,
    body: { 'spot-description': 'By the bridge', 'spot-lat': '52.48', 'spot-lng': 'west' },
    error: 'Choose the location again',
  },
  {
    name: 'location described too long',
    field: spot,
    body: { 'spot-description': 'x'.repeat(501) },
    error: 'The description must be 500 characters or fewer',
  },
  // declaration
  { name: 'declaration', field: declaration, body: { declaration: 'confirmed' }, value: true },
  {
    name: 'declaration not ticked',
    field: declaration,
    body: {},
    error: 'Select the box to confirm your application',
  },
  {
    name: 'declaration with another value (tampered)',
    field: declaration,
    body: { declaration: ['confirmed', 'extra'] },
    error: 'Select the box to confirm your application',
  },
];

function dateBody(name: string, day: string, month: string, year: string) {
  return { [`${name}-day`]: day, [`${name}-month`]: month, [`${name}-year`]: year };
}

function addressBody(name: string, line1: string, line2: string, town: string, postcode: string) {
  return {
    [`${name}-line1`]: line1,
    [`${name}-line2`]: line2,
    [`${name}-town`]: town,
    [`${name}-postcode`]: postcode,
  };
}

await test('readField', async (t) => {
  for (const c of cases) {
    await t.test(c.name, () => {
      const reading = read(c.field, c.body);
      assert.deepEqual(
        { value: reading.value, error: reading.error },
        { value: c.value, error: c.error },
      );
    });
  }

  await t.test('keeps what was typed, exactly, to show back', () => {
    assert.equal(read(fullName, { fullName: '  Annabel Lee Smith ' }).raw, '  Annabel Lee Smith ');
    assert.deepEqual(read(birthday, dateBody('dateOfBirth', '31', 'Feb', '21')).raw, {
      day: '31',
      month: 'Feb',
      year: '21',
    });
    assert.deepEqual(read(dumped, { dumped: ['tyres', 'gold'] }).raw, ['tyres', 'gold']);
    assert.deepEqual(read(home, addressBody('home', 'a', '', 'b', 'c')).raw, {
      line1: 'a',
      line2: '',
      town: 'b',
      postcode: 'c',
    });
  });

  await t.test('leaves file fields to the upload check', () => {
    assert.deepEqual(read(photo, { photo: 'photo.jpg' }), { raw: '' });
  });

  await t.test('never throws, whatever is sent', () => {
    const junk = [
      undefined,
      null,
      42,
      true,
      [],
      ['a', 'b'],
      { a: 'b' },
      [{ a: 1 }],
      'x'.repeat(5000),
    ];
    const fields: Field[] = [fullName, comments, hours, claim, email, phone, birthday, badgeFor];
    fields.push(library, dumped, interpreter, home, spot, photo, declaration);
    for (const f of fields)
      for (const value of junk) {
        const body: Record<string, unknown> = {};
        for (const suffix of ['', '-day', '-month', '-year', '-line1', '-town', '-postcode'])
          body[`${f.name}${suffix}`] = value;
        body[`${f.name}-description`] = value;
        body[`${f.name}-lat`] = value;
        const reading = read(f, body);
        assert.ok(
          reading.value !== undefined ||
            reading.error !== undefined ||
            f.optional ||
            f.type === 'file',
        );
      }
  });

  await t.test('refuses a megabyte quickly', () => {
    const huge = `${'a'.repeat(1024 * 1024)}@example.com`;
    const fields: [Field, Record<string, unknown>][] = [
      [fullName, { fullName: huge }],
      [comments, { answer: huge }],
      [hours, { answer: '1'.repeat(1024 * 1024) }],
      [email, { email: huge }],
      [phone, { phone: '0'.repeat(1024 * 1024) }],
      [birthday, dateBody('dateOfBirth', huge, huge, '9'.repeat(1024 * 1024))],
      [badgeFor, { applicant: huge }],
      [home, addressBody('home', '1 High St', '', 'Westmoor', `${'A1 '.repeat(300_000)}1AA`)],
      [spot, { 'spot-description': 'here', 'spot-lat': '1'.repeat(1024 * 1024), 'spot-lng': '1' }],
    ];
    for (const [f, body] of fields) {
      const started = performance.now();
      const reading = read(f, body);
      const took = performance.now() - started;
      assert.ok(reading.error, `${f.type}: refused`);
      assert.ok(took < 100, `${f.type}: took ${took.toFixed(1)}ms`);
    }
  });
});

await test('error messages made from labels', async (t) => {
  const examples: [Field, string][] = [
    [
      field('text', { label: 'Their National Insurance number', maxLength: 13 }),
      'Enter their National Insurance number',
    ],
    [
      field('text', { label: 'National Insurance number', maxLength: 13 }),
      'Enter National Insurance number',
    ],
    [
      field('text', { label: 'Name of the bus stop (if you know it)', maxLength: 100 }),
      'Enter name of the bus stop',
    ],
    [field('text', { label: 'Where did they die?', maxLength: 100 }), 'Enter where they died'],
    [
      field('textarea', { label: 'What does the person find hard at home now?', maxLength: 100 }),
      'Enter what the person finds hard at home now',
    ],
    [
      field('textarea', { label: 'Do you have any access needs?', maxLength: 100 }),
      'Tell us if you have any access needs',
    ],
    [field('textarea', { label: 'Describe the work', maxLength: 100 }), 'Describe the work'],
    [
      field('number', {
        label: 'How deep is the space, from the front of the house?',
        integer: false,
      }),
      'Enter how deep the space is, from the front of the house',
    ],
    [
      field('email', { label: 'Parent or carer’s email address' }),
      'Enter parent or carer’s email address',
    ],
    [field('phone', { label: 'Business phone number' }), 'Enter a business phone number'],
    [
      field('date', { label: 'When should the pass start?', past: false, future: true }),
      'Enter when the pass should start',
    ],
    [
      field('radios', { label: 'What kind of animal is it?', options: [] }),
      'Select what kind of animal it is',
    ],
    [
      field('radios', { label: 'Is it a home or a business?', options: [] }),
      'Select if it is a home or a business',
    ],
    [field('radios', { label: 'Choose the fault', options: [] }), 'Select the fault'],
    [
      field('radios', { label: 'Where was the baby born?', options: [] }),
      'Select where the baby was born',
    ],
    [field('radios', { label: 'When is the best time to call?', options: [] }), 'Select an option'],
    [
      field('select', { label: 'Which register office would you like to go to?', options: [] }),
      'Select which register office you would like to go to',
    ],
    [
      field('checkboxes', { label: 'What is the problem?', options: [] }),
      'Select what the problem is',
    ],
    [
      field('checkboxes', { label: 'Does any of these apply to your child?', options: [] }),
      'Select at least one option',
    ],
    [
      field('yesno', { label: 'Does your child have an EHC plan?' }),
      'Select yes if your child has an EHC plan',
    ],
    [
      field('yesno', { label: 'Did they get treatment from a doctor?' }),
      'Select yes if they got treatment from a doctor',
    ],
    [field('yesno', { label: 'Is the work temporary?' }), 'Select yes if the work is temporary'],
    [
      field('yesno', { label: 'Has an occupational therapist already visited?' }),
      'Select yes or no',
    ],
    [
      field('location', { label: 'Show us exactly where the skip will stand' }),
      'Describe exactly where the skip will stand',
    ],
    [photo, 'Select a photo of your face'],
    [
      field('file', { label: 'Proof of address', accept: ['pdf'], maxMb: 5 }),
      'Select proof of address',
    ],
    [
      field('declaration', { label: 'Library rules', text: 'I will look after the books.' }),
      'Select the box to confirm you agree',
    ],
  ];
  for (const [f, message] of examples)
    await t.test(`${f.type} "${f.label}" → "${message}"`, () => {
      assert.equal(requiredError(f), message);
      if (f.type !== 'file') assert.equal(read(f, {}).error, message);
    });
});

await test('componentFor', async (t) => {
  await t.test(
    'text: a govukInput named after the field, as wide as its limit, with autocomplete',
    () => {
      assert.deepEqual(componentFor(fullName, 'Ann', 'Enter your full name'), {
        macro: 'govukInput',
        params: {
          id: 'fullName',
          name: 'fullName',
          label: { text: 'Your full name', classes: 'govuk-label--s' },
          errorMessage: { text: 'Enter your full name' },
          value: 'Ann',
          classes: 'govuk-input--width-10',
          autocomplete: 'name',
        },
      });
      const long = field('text', {
        label: 'Name of the venue',
        maxLength: 150,
        hint: 'As on the booking.',
      });
      const { params } = componentFor(long, undefined, undefined);
      assert.deepEqual(params, {
        id: 'answer',
        name: 'answer',
        label: { text: 'Name of the venue', classes: 'govuk-label--s' },
        hint: { text: 'As on the booking.' },
        value: '',
      });
      const medium = field('text', { label: 'Reg', maxLength: 20, autocomplete: 'off' });
      assert.equal(componentFor(medium, '', undefined).params.classes, 'govuk-input--width-20');
      assert.equal(componentFor(medium, '', undefined).params.autocomplete, 'off');
    },
  );

  await t.test('textarea: a govukCharacterCount with its limit', () => {
    const { macro, params } = componentFor(comments, 'It fell', undefined);
    assert.equal(macro, 'govukCharacterCount');
    assert.equal(params.maxlength, 20);
    assert.equal(params.value, 'It fell');
    assert.equal(params.id, 'answer');
  });

  await t.test('number: numeric keyboard only for whole numbers, with its suffix', () => {
    const whole = componentFor(hours, '3', undefined).params;
    assert.equal(whole.inputmode, 'numeric');
    assert.deepEqual(whole.suffix, { text: 'hours' });
    assert.equal(whole.spellcheck, false);
    const money = componentFor(claim, '3.50', undefined).params;
    assert.equal(money.inputmode, undefined);
    assert.deepEqual(money.suffix, { text: 'pounds' });
  });

  await t.test('email and phone: types, autocomplete and no spellcheck', () => {
    const e = componentFor(email, 'a@b.com', undefined).params;
    assert.deepEqual([e.type, e.autocomplete, e.spellcheck], ['email', 'email', false]);
    const p = componentFor(phone, '0', undefined).params;
    assert.deepEqual([p.type, p.autocomplete, p.spellcheck], ['tel', 'tel', false]);
  });

  await t.test(
    'date: a govukDateInput with name-day, name-month and name-year, outlining the parts at fault',
    () => {
      const raw = { day: '3', month: '', year: '2021' };
      const error = 'Date of birth must include a month';
      const { macro, params } = componentFor(birthday, raw, error);
      assert.equal(macro, 'govukDateInput');
      assert.equal(params.id, 'dateOfBirth');
      assert.equal(params.namePrefix, 'dateOfBirth');
      assert.deepEqual(params.fieldset, {
        legend: { text: 'Date of birth', classes: 'govuk-fieldset__legend--s' },
      });
      assert.deepEqual(params.errorMessage, { text: error });
      assert.deepEqual(params.items, [
        { name: 'day', value: '3', classes: 'govuk-input--width-2', autocomplete: 'bday-day' },
        {
          name: 'month',
          value: '',
          classes: 'govuk-input--width-2 govuk-input--error',
          autocomplete: 'bday-month',
        },
        { name: 'year', value: '2021', classes: 'govuk-input--width-4', autocomplete: 'bday-year' },
      ]);
      const notReal = componentFor(visit, raw, 'The date must be a real date').params;
      assert.deepEqual(
        (notReal.items as { classes: string }[]).map((item) => item.classes),
        ['govuk-input--width-2', 'govuk-input--width-2', 'govuk-input--width-4'],
        'the whole date is at fault, which govukDateInput shows on every part itself',
      );
    },
  );

  await t.test('radios: a fieldset, ids from the field name, the chosen option checked', () => {
    const { macro, params } = componentFor(badgeFor, 'someone-else', 'Select who the badge is for');
    assert.equal(macro, 'govukRadios');
    assert.deepEqual(params, {
      idPrefix: 'applicant',
      name: 'applicant',
      fieldset: { legend: { text: 'Who is the badge for?', classes: 'govuk-fieldset__legend--s' } },
      errorMessage: { text: 'Select who the badge is for' },
      items: [
        { value: 'myself', text: 'Me', checked: false },
        {
          value: 'someone-else',
          text: 'Someone else',
          hint: { text: 'For example, a child.' },
          checked: true,
        },
      ],
    });
  });

  await t.test('yes/no: inline radios with yes and no', () => {
    const { macro, params } = componentFor(interpreter, 'no', undefined);
    assert.equal(macro, 'govukRadios');
    assert.equal(params.classes, 'govuk-radios--inline');
    assert.deepEqual(params.items, [
      { value: 'yes', text: 'Yes', checked: false },
      { value: 'no', text: 'No', checked: true },
    ]);
  });

  await t.test('select: an empty first choice, then the options', () => {
    const { macro, params } = componentFor(library, 'riverside', undefined);
    assert.equal(macro, 'govukSelect');
    assert.equal(params.id, 'library');
    assert.deepEqual(params.items, [
      { value: '', text: 'Choose an option', selected: false },
      { value: 'central', text: 'Central Library', selected: false },
      { value: 'riverside', text: 'Riverside Library', selected: true },
    ]);
  });

  await t.test('checkboxes: every ticked option checked again', () => {
    const { macro, params } = componentFor(dumped, ['bags', 'tyres'], undefined);
    assert.equal(macro, 'govukCheckboxes');
    assert.deepEqual(
      (params.items as { value: string; checked: boolean }[]).map((i) => [i.value, i.checked]),
      [
        ['bags', true],
        ['furniture', false],
        ['tyres', true],
      ],
    );
  });

  await t.test('declaration: one checkbox with the declaration’s text', () => {
    const { macro, params } = componentFor(declaration, ['confirmed'], undefined);
    assert.equal(macro, 'govukCheckboxes');
    assert.deepEqual(params.fieldset, {
      legend: { text: 'Confirm your application', classes: 'govuk-fieldset__legend--s' },
    });
    assert.deepEqual(params.items, [
      { value: 'confirmed', text: 'The information I have given is true.', checked: true },
    ]);
  });

  await t.test('file: a govukFileUpload that offers only the accepted types', () => {
    const { macro, params } = componentFor(photo, '', 'The selected file is empty');
    assert.equal(macro, 'govukFileUpload');
    assert.equal(params.id, 'photo');
    assert.deepEqual(params.attributes, {
      accept: 'image/jpeg,image/png,image/webp,image/heic,.heic',
    });
    assert.deepEqual(params.errorMessage, { text: 'The selected file is empty' });
  });

  await t.test('address: four labelled inputs in a fieldset, the part at fault outlined', () => {
    const raw = { line1: '1 High St', line2: '', town: 'Westmoor', postcode: 'WM1' };
    const { macro, params } = componentFor(home, raw, 'Enter a full UK postcode');
    assert.equal(macro, 'appAddress');
    assert.deepEqual(params, {
      id: 'home',
      fieldset: {
        legend: { text: 'Your address', classes: 'govuk-fieldset__legend--s' },
        describedBy: 'home-error',
      },
      errorMessage: { id: 'home-error', text: 'Enter a full UK postcode' },
      inputs: [
        {
          id: 'home-line1',
          name: 'home-line1',
          label: { text: 'Address line 1' },
          value: '1 High St',
          autocomplete: 'address-line1',
        },
        {
          id: 'home-line2',
          name: 'home-line2',
          label: { text: 'Address line 2 (optional)' },
          value: '',
          autocomplete: 'address-line2',
        },
        {
          id: 'home-town',
          name: 'home-town',
          label: { text: 'Town or city' },
          value: 'Westmoor',
          autocomplete: 'address-level2',
          classes: 'govuk-!-width-two-thirds',
        },
        {
          id: 'home-postcode',
          name: 'home-postcode',
          label: { text: 'Postcode' },
          value: 'WM1',
          autocomplete: 'postal-code',
          classes: 'govuk-input--width-10 govuk-input--error',
          spellcheck: false,
        },
      ],
    });
  });

  await t.test('location: a description and two hidden inputs for the map point', () => {
    const raw = { description: 'By the bridge', lat: '52.48', lng: '-1.89' };
    const { macro, params } = componentFor(spot, raw, 'Describe where it happened');
    assert.equal(macro, 'appLocation');
    assert.deepEqual(params.fieldset, {
      legend: { text: 'Where did it happen?', classes: 'govuk-fieldset__legend--s' },
      describedBy: 'spot-hint spot-error',
    });
    assert.deepEqual(params.hint, { id: 'spot-hint', text: 'Be exact.' });
    const [description, lat, lng] = params.inputs as [Input, Input, Input];
    assert.equal(description.id, 'spot-description');
    assert.equal(description.value, 'By the bridge');
    assert.equal(description.classes, 'govuk-input--error');
    assert.deepEqual(lat, { id: 'spot-lat', name: 'spot-lat', type: 'hidden', value: '52.48' });
    assert.deepEqual(lng, { id: 'spot-lng', name: 'spot-lng', type: 'hidden', value: '-1.89' });
  });

  await t.test('a raw answer of the wrong shape shows as empty, never throws', () => {
    const odd: RawAnswer[] = ['x', ['x'], { day: 'x' }];
    const fields: Field[] = [fullName, comments, hours, email, phone, birthday, badgeFor, library];
    fields.push(dumped, interpreter, home, spot, photo, declaration);
    for (const f of fields) for (const raw of odd) assert.ok(componentFor(f, raw, undefined).macro);
  });
});

await test('componentFor renders through the real govuk-frontend macros', async (t) => {
  const views = createViews();
  /** The same dispatch as the forms page template. */
  const page = `
    {%- from "govuk/components/input/macro.njk" import govukInput -%}
    {%- from "govuk/components/character-count/macro.njk" import govukCharacterCount -%}
    {%- from "govuk/components/date-input/macro.njk" import govukDateInput -%}
    {%- from "govuk/components/radios/macro.njk" import govukRadios -%}
    {%- from "govuk/components/checkboxes/macro.njk" import govukCheckboxes -%}
    {%- from "govuk/components/select/macro.njk" import govukSelect -%}
    {%- from "govuk/components/file-upload/macro.njk" import govukFileUpload -%}
    {%- from "govuk/components/fieldset/macro.njk" import govukFieldset -%}
    {%- from "govuk/components/hint/macro.njk" import govukHint -%}
    {%- from "govuk/components/error-message/macro.njk" import govukErrorMessage -%}
    {% if c.macro == "govukInput" %}{{ govukInput(c.params) }}
    {% elif c.macro == "govukCharacterCount" %}{{ govukCharacterCount(c.params) }}
    {% elif c.macro == "govukDateInput" %}{{ govukDateInput(c.params) }}
    {% elif c.macro == "govukRadios" %}{{ govukRadios(c.params) }}
    {% elif c.macro == "govukCheckboxes" %}{{ govukCheckboxes(c.params) }}
    {% elif c.macro == "govukSelect" %}{{ govukSelect(c.params) }}
    {% elif c.macro == "govukFileUpload" %}{{ govukFileUpload(c.params) }}
    {% else %}
      <div class="govuk-form-group{% if c.params.errorMessage %} govuk-form-group--error{% endif %}">
        {% call govukFieldset(c.params.fieldset) %}
          {% if c.params.hint %}{{ govukHint(c.params.hint) }}{% endif %}
          {% if c.params.errorMessage %}{{ govukErrorMessage(c.params.errorMessage) }}{% endif %}
          {% for input in c.params.inputs %}{{ govukInput(input) }}{% endfor %}
        {% endcall %}
      </div>
    {% endif %}`;
  const template = nunjucks.compile(page, views);
  const render = (c: Component) => new JSDOM(template.render({ c })).window.document;

  const expected: [Field, string[]][] = [
    [fullName, ['fullName']],
    [comments, ['answer']],
    [hours, ['answer']],
    [email, ['email']],
    [phone, ['phone']],
    [birthday, ['dateOfBirth-day', 'dateOfBirth-month', 'dateOfBirth-year']],
    [badgeFor, ['applicant', 'applicant-2']],
    [library, ['library']],
    [dumped, ['dumped', 'dumped-2', 'dumped-3']],
    [interpreter, ['needsInterpreter', 'needsInterpreter-2']],
    [home, ['home-line1', 'home-line2', 'home-town', 'home-postcode']],
    [spot, ['spot-description', 'spot-lat', 'spot-lng']],
    [photo, ['photo']],
    [declaration, ['declaration']],
  ];
  for (const [f, ids] of expected)
    await t.test(
      `${f.type}: inputs ${ids.join(', ')}, the error shown and linked from firstInputId`,
      () => {
        const error = requiredError(f);
        const document = render(componentFor(f, undefined, error));
        const inputs = [...document.querySelectorAll('input, select, textarea')];
        assert.deepEqual(
          inputs.map((input) => input.id),
          ids,
        );
        const names = new Set(inputs.map((input) => input.getAttribute('name')));
        for (const name of names)
          assert.ok(name?.startsWith(f.name), `${String(name)} is the field's`);
        assert.ok(document.getElementById(firstInputId(f)), 'the error summary link has a target');
        assert.equal(firstInputId(f), ids[0]);
        const shown = document.querySelector('.govuk-error-message')?.textContent ?? '';
        assert.ok(shown.includes(error), `"${error}" is shown`);
      },
    );

  await t.test('values typed are shown back', () => {
    const raw = { line1: '1 High St', line2: '', town: 'Westmoor', postcode: 'wm1 1aa' };
    const document = render(componentFor(home, raw, undefined));
    assert.equal(document.querySelector<HTMLInputElement>('#home-postcode')?.value, 'wm1 1aa');
    const date = render(componentFor(birthday, { day: '3', month: '4', year: '19' }, undefined));
    assert.equal(date.querySelector<HTMLInputElement>('#dateOfBirth-year')?.value, '19');
    const ticks = render(componentFor(dumped, ['tyres'], undefined));
    assert.equal(ticks.querySelector<HTMLInputElement>('#dumped-3')?.checked, true);
    const chosen = render(componentFor(library, 'central', undefined));
    assert.equal(chosen.querySelector<HTMLSelectElement>('#library')?.value, 'central');
  });
});

await test('firstInputId', async (t) => {
  await t.test('the first input, or the first input at fault', () => {
    assert.equal(firstInputId(fullName), 'fullName');
    assert.equal(firstInputId(badgeFor), 'applicant');
    assert.equal(firstInputId(birthday), 'dateOfBirth-day');
    assert.equal(
      firstInputId(birthday, 'Date of birth must include a month and year'),
      'dateOfBirth-month',
    );
    assert.equal(firstInputId(birthday, 'Year must include 4 numbers'), 'dateOfBirth-year');
    assert.equal(firstInputId(birthday, 'Date of birth must be a real date'), 'dateOfBirth-day');
    assert.equal(firstInputId(home), 'home-line1');
    assert.equal(firstInputId(home, 'Enter town or city'), 'home-town');
    assert.equal(firstInputId(home, 'Enter a full UK postcode'), 'home-postcode');
    assert.equal(firstInputId(spot), 'spot-description');
  });
});

await test('saved answers', async (t) => {
  const answers: [Field, Record<string, unknown>, string[]][] = [
    [fullName, { fullName: 'Ann Lee' }, ['Ann Lee']],
    [comments, { answer: 'Line one\r\n\r\nLine two' }, ['Line one', 'Line two']],
    [hours, { answer: '12' }, ['12 hours']],
    [claim, { answer: '1250.5' }, ['£1,250.50']],
    [claim, { answer: '20' }, ['£20']],
    [age, { answer: '0' }, ['0']],
    [email, { email: 'A@Example.com' }, ['a@example.com']],
    [phone, { phone: '01632 960 001' }, ['01632 960 001']],
    [birthday, dateBody('dateOfBirth', '3', '3', '2021'), ['3 March 2021']],
    [badgeFor, { applicant: 'someone-else' }, ['Someone else']],
    [library, { library: 'central' }, ['Central Library']],
    [dumped, { dumped: ['tyres', 'bags'] }, ['Bags of rubbish', 'Tyres']],
    [interpreter, { needsInterpreter: 'yes' }, ['Yes']],
    [interpreter, { needsInterpreter: 'no' }, ['No']],
    [
      home,
      addressBody('home', '1 High St', '', 'Westmoor', 'wm11aa'),
      ['1 High St', 'Westmoor', 'WM1 1AA'],
    ],
    [
      home,
      addressBody('home', 'Flat 2', '1 High St', 'Westmoor', 'WM1 1AA'),
      ['Flat 2', '1 High St', 'Westmoor', 'WM1 1AA'],
    ],
    [spot, { 'spot-description': 'By the bridge' }, ['By the bridge']],
    [
      spot,
      { 'spot-description': 'By the bridge', 'spot-lat': '52.5', 'spot-lng': '-1.9' },
      ['By the bridge'],
    ],
    [declaration, { declaration: 'confirmed' }, ['Confirmed']],
  ];

  for (const [f, body, lines] of answers)
    await t.test(
      `${f.type} ${JSON.stringify(lines)}: shown as lines and read back the same from its page`,
      () => {
        const { value, error } = read(f, body);
        assert.equal(error, undefined);
        assert.deepEqual(displayAnswer(f, value), lines);
        const raw = rawFromAnswer(f, value);
        assert.deepEqual(read(f, flatten(f.name, raw)).value, value);
      },
    );

  await t.test('a file is shown by its name and never put back in the input', () => {
    const upload = {
      key: 'uploads/1.jpg',
      filename: 'face.jpg',
      contentType: 'image/jpeg',
      bytes: 9,
    };
    assert.deepEqual(displayAnswer(photo, upload), ['face.jpg']);
    assert.equal(rawFromAnswer(photo, upload), undefined);
  });

  await t.test('nothing answered is no lines and no raw answer', () => {
    for (const f of [fullName, birthday, home, dumped, photo, declaration]) {
      assert.deepEqual(displayAnswer(f, undefined), []);
      assert.equal(rawFromAnswer(f, undefined), undefined);
    }
  });

  await t.test(
    'an answer of the wrong shape (from an older form) shows nothing rather than throwing',
    () => {
      const fields: Field[] = [
        fullName,
        hours,
        birthday,
        badgeFor,
        dumped,
        home,
        spot,
        photo,
        declaration,
      ];
      for (const f of fields)
        for (const odd of [
          42,
          'x',
          ['x'],
          true,
          { line1: 'a', town: 'b', postcode: 'c' },
        ] as Answer[]) {
          assert.ok(Array.isArray(displayAnswer(f, odd)));
          rawFromAnswer(f, odd);
        }
    },
  );

  await t.test('answers are what page and field conditions compare', () => {
    const yes = read(interpreter, { needsInterpreter: 'yes' }).value;
    assert.equal(conditionHolds({ field: 'needsInterpreter', equals: true }, yes), true);
    assert.equal(conditionHolds({ field: 'needsInterpreter', equals: 'no' }, yes), false);
    const ticked = read(dumped, { dumped: ['bags', 'tyres'] }).value;
    assert.equal(conditionHolds({ field: 'dumped', in: ['tyres'] }, ticked), true);
    assert.equal(conditionHolds({ field: 'dumped', equals: 'furniture' }, ticked), false);
    const chosen = read(badgeFor, { applicant: 'myself' }).value;
    assert.equal(conditionHolds({ field: 'applicant', notEquals: 'someone-else' }, chosen), true);
  });
});

/** A raw answer as the form body its page would send. */
function flatten(name: string, raw: RawAnswer | undefined): Record<string, unknown> {
  if (raw === undefined || typeof raw === 'string' || Array.isArray(raw)) return { [name]: raw };
  return Object.fromEntries(Object.entries(raw).map(([part, value]) => [`${name}-${part}`, value]));
}
