import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import {
  CATEGORIES,
  CatalogueError,
  FIELD_TYPES,
  SERVICE_KINDS,
  conditionHolds,
  loadCatalogue,
  type Catalogue,
} from './definition.js';

/** A small valid form service; each bad case changes one thing about it. */
function validService(): Record<string, unknown> {
  return {
    code: 'test-service',
    version: 1,
    name: 'Test service',
    summary: 'A service used in tests.',
    category: 'your-council',
    keywords: ['test', 'tset', 'testing'],
    kind: 'form',
    team: 'Digital',
    sla: { days: 5 },
    refPrefix: 'TST',
    caseKind: 'request',
    start: {
      intro: 'Use this to test.',
      before: ['nothing'],
      time: 'about 1 minute',
      next: 'Nothing happens.',
    },
    form: {
      pages: [
        {
          id: 'details',
          title: 'Your details',
          fields: [
            { name: 'fullName', type: 'text', label: 'Full name' },
            {
              name: 'contactBy',
              type: 'radios',
              label: 'How should we contact you?',
              options: [
                { value: 'email', text: 'Email' },
                { value: 'phone', text: 'Phone' },
              ],
            },
          ],
        },
        {
          id: 'car',
          title: 'Your car',
          fields: [{ name: 'hasCar', type: 'yesno', label: 'Do you have a car?' }],
        },
      ],
    },
  };
}

type Service = ReturnType<typeof validService>;
type Page = { id: string; title: string; fields: Record<string, unknown>[]; when?: unknown };
const pages = (service: Service) => (service.form as { pages: Page[] }).pages;
const page = (service: Service, index: number) => pages(service)[index] as Page;

/** Writes files to a fresh folder; returns the folder. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shire-catalogue-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function refusal(dir: string): string {
  try {
    loadCatalogue(dir);
  } catch (err) {
    assert.ok(err instanceof CatalogueError, `expected a CatalogueError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return err.message;
  }
  assert.fail('expected the catalogue to be refused');
}

await test('the real catalogue', async (t) => {
  const catalogue: Catalogue = loadCatalogue();
  const { services } = catalogue;

  await t.test('has at least 64 services, sorted by name', () => {
    assert.ok(services.length >= 64, `only ${services.length} services`);
    const names = services.map((s) => s.name);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b, 'en-GB')),
    );
  });

  await t.test('uses every category, in the listed order, and every kind', () => {
    assert.deepEqual(
      catalogue.categories.map((c) => c.key),
      Object.keys(CATEGORIES),
    );
    for (const category of catalogue.categories)
      assert.equal(category.name, CATEGORIES[category.key]);
    assert.deepEqual(new Set(services.map((s) => s.kind)), new Set(SERVICE_KINDS));
  });

  await t.test('has the services residents ask for most by name', () => {
    assert.equal(catalogue.byCode('renew-library-books')?.kind, 'library');
    assert.equal(catalogue.byCode('apply-for-a-primary-school-place')?.kind, 'school-admission');
    assert.equal(catalogue.byCode('report-fly-tipping')?.kind, 'report');
    assert.equal(catalogue.byCode('report-a-pothole')?.kind, 'report');
    assert.equal(catalogue.byCode('book-museum-event-tickets')?.kind, 'event-booking');
    assert.equal(catalogue.byCode('no-such-service'), undefined);
  });

  await t.test('asks every type of question, with conditions in many forms', () => {
    const fields = services.flatMap((s) => s.form?.pages.flatMap((p) => p.fields) ?? []);
    assert.deepEqual(new Set(fields.map((f) => f.type)), new Set(FIELD_TYPES));
    const conditional = services.filter((s) =>
      s.form?.pages.some((p) => p.when ?? p.fields.some((f) => f.when)),
    );
    assert.ok(conditional.length >= 10, `only ${conditional.length} forms use conditions`);
    for (const field of fields)
      if (field.type === 'file') assert.ok(field.maxMb <= 10, `${field.name} allows over 10 MB`);
  });

  await t.test('gives every service searchable keywords and a full start page', () => {
    for (const service of services) {
      assert.ok(service.keywords.length >= 3, service.code);
      assert.ok(service.start.before.length >= 1, service.code);
    }
    const forms = services.filter((s) => s.kind === 'form');
    assert.ok(forms.length >= 25, `only ${forms.length} forms`);
  });
});

interface BadCase {
  name: string;
  change: (service: Service) => void;
  /** Expected message after the file path. */
  error: string;
}

const badCases: BadCase[] = [
  {
    name: 'an unknown field type',
    change: (s) => {
      page(s, 0).fields.push({ name: 'colour', type: 'colour', label: 'Colour' });
    },
    error:
      'page "details" field "colour": type must be one of text, textarea, number, email, phone, date, radios, checkboxes, select, yesno, address, file, location, declaration',
  },
  {
    name: 'a maxLength that is not a positive whole number',
    change: (s) => {
      page(s, 0).id = 'loans';
      Object.assign(page(s, 0).fields[0] ?? {}, { name: 'cardNumber', maxLength: 0 });
    },
    error: 'page "loans" field "cardNumber": maxLength must be a positive whole number',
  },
  {
    name: 'a duplicate field name',
    change: (s) => {
      page(s, 1).fields.push({ name: 'fullName', type: 'text', label: 'Name again' });
    },
    error: 'page "car" field "fullName": the name "fullName" is already used on page "details"',
  },
  {
    name: 'a condition on a field asked on a later page',
    change: (s) => {
      page(s, 0).fields.push({
        name: 'when',
        type: 'date',
        label: 'When did you buy it?',
        when: { field: 'hasCar', equals: 'yes' },
      });
    },
    error:
      'page "details" field "when": condition refers to "hasCar", which is not asked before this page',
  },
  {
    name: 'a condition on a field later on the same page',
    change: (s) => {
      page(s, 1).fields.unshift({
        name: 'registration',
        type: 'text',
        label: 'Registration',
        when: { field: 'hasCar', equals: 'yes' },
      });
    },
    error:
      'page "car" field "registration": condition refers to "hasCar", which is not asked before this question',
  },
  {
    name: 'a page condition on a field on the same page',
    change: (s) => {
      page(s, 1).when = { field: 'hasCar', equals: 'yes' };
    },
    error: 'page "car": condition refers to "hasCar", which is not asked before this page',
  },
  {
    name: 'a condition value that is not one of the options',
    change: (s) => {
      page(s, 1).when = { field: 'contactBy', in: ['email', 'post'] };
    },
    error: 'page "car": condition value "post" is not an answer to "contactBy" (email, phone)',
  },
  {
    name: 'a yes/no condition that is not yes or no',
    change: (s) => {
      pages(s).push({
        id: 'more',
        title: 'More',
        fields: [{ name: 'model', type: 'text', label: 'Model' }],
        when: { field: 'hasCar', equals: 'maybe' },
      });
    },
    error: 'page "more": condition value "maybe" is not an answer to "hasCar" (yes, no)',
  },
  {
    name: 'a condition with two comparisons',
    change: (s) => {
      page(s, 1).when = { field: 'contactBy', equals: 'email', notEquals: 'phone' };
    },
    error: 'page "car": when must have exactly one of equals, in or notEquals',
  },
  {
    name: 'a refPrefix with the letter O',
    change: (s) => {
      s.refPrefix = 'POT';
    },
    error: 'refPrefix must be 3 capital letters without I, L, O or U, like PTH',
  },
  {
    name: 'an unknown category',
    change: (s) => {
      s.category = 'roads';
    },
    error: `category must be one of ${Object.keys(CATEGORIES).join(', ')} (not "roads")`,
  },
  {
    name: 'a misspelt setting',
    change: (s) => {
      s.summry = 'Typo';
    },
    error: 'has an unknown setting "summry"',
  },
  {
    name: 'an external service without a url',
    change: (s) => {
      s.kind = 'external';
      delete s.form;
    },
    error: 'url is required for an external service',
  },
  {
    name: 'a form service without a form',
    change: (s) => {
      delete s.form;
    },
    error: 'form is required for a form service',
  },
  {
    name: 'a file upload over 20 MB',
    change: (s) => {
      page(s, 1).fields.push({
        name: 'photo',
        type: 'file',
        label: 'Photo',
        accept: ['image'],
        maxMb: 50,
      });
    },
    error: 'page "car" field "photo": maxMb must be at most 20',
  },
  {
    name: 'an optional declaration',
    change: (s) => {
      page(s, 1).fields.push({
        name: 'declaration',
        type: 'declaration',
        label: 'Declaration',
        text: 'I agree',
        optional: true,
      });
    },
    error: 'page "car" field "declaration": optional cannot be true for a declaration',
  },
];

await test('bad definitions stop start-up with one line naming the file, page and field', async (t) => {
  for (const bad of badCases) {
    await t.test(bad.name, () => {
      const service = validService();
      bad.change(service);
      const dir = folder({ 'test-service.yaml': stringify(service) });
      assert.equal(refusal(dir), `${path.join(dir, 'test-service.yaml')}: ${bad.error}`);
    });
  }

  await t.test('the unchanged definition loads', () => {
    const dir = folder({ 'test-service.yaml': stringify(validService()) });
    assert.equal(loadCatalogue(dir).services[0]?.code, 'test-service');
  });

  await t.test('a refPrefix used by two services', () => {
    const first = { ...validService(), code: 'aaa-service' };
    const second = { ...validService(), code: 'bbb-service' };
    const dir = folder({
      'aaa-service.yaml': stringify(first),
      'bbb-service.yaml': stringify(second),
    });
    assert.equal(
      refusal(dir),
      `${path.join(dir, 'bbb-service.yaml')}: refPrefix "TST" is already used by aaa-service`,
    );
  });

  await t.test('a file name that is not the code', () => {
    const dir = folder({ 'report-pothole.yaml': stringify(validService()) });
    assert.equal(
      refusal(dir),
      `${path.join(dir, 'report-pothole.yaml')}: code "test-service" does not match the file name; name the file test-service.yaml`,
    );
  });

  await t.test('a YAML syntax error, with its line', () => {
    const text = stringify(validService()).replace(
      'name: Test service',
      'name: Test service: the sequel',
    );
    const dir = folder({ 'test-service.yaml': text });
    const line = text.split('\n').findIndex((l) => l.startsWith('name:')) + 1;
    assert.equal(
      refusal(dir),
      `${path.join(dir, 'test-service.yaml')}: line ${line}: not valid YAML: Nested mappings are not allowed in compact mappings`,
    );
  });

  await t.test('an empty folder', () => {
    const dir = folder({});
    assert.equal(refusal(dir), `${dir}: has no service files (*.yaml)`);
  });
});

await test('conditions', async (t) => {
  await t.test('match a radio answer, a yes/no answer and ticked checkboxes', () => {
    assert.equal(conditionHolds({ field: 'a', equals: 'email' }, 'email'), true);
    assert.equal(conditionHolds({ field: 'a', equals: 'email' }, 'phone'), false);
    assert.equal(conditionHolds({ field: 'a', equals: 'yes' }, true), true);
    assert.equal(conditionHolds({ field: 'a', equals: true }, 'yes'), true);
    assert.equal(conditionHolds({ field: 'a', in: ['cat', 'dog'] }, 'dog'), true);
    assert.equal(conditionHolds({ field: 'a', in: ['medical'] }, ['sibling', 'medical']), true);
    assert.equal(conditionHolds({ field: 'a', notEquals: 'none' }, 'universal-credit'), true);
    assert.equal(conditionHolds({ field: 'a', notEquals: 'none' }, []), true);
  });

  await t.test('are never met by a question the person did not see', () => {
    assert.equal(conditionHolds({ field: 'a', notEquals: 'none' }, undefined), false);
    assert.equal(conditionHolds({ field: 'a', equals: 'yes' }, null), false);
  });
});
