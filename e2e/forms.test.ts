/**
 * Every form service in the catalogue, completed end to end in a real browser with JavaScript
 * off (DESIGN.md §4: every journey works without it), and the first few again with it on:
 * start page, Start now, an empty first page that gets a GOV.UK error summary, every question
 * page answered from its definition, check your answers, Send, and a confirmation whose
 * reference is a case in the database with the service's team, kind and due date. The pages
 * walked must be exactly the ones the definition's conditions ask for, and every page passes axe.
 * Services with conditions are walked again with other answers, down their other branches; and
 * Send pressed twice at once makes one case.
 */
import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  conditionHolds,
  loadCatalogue,
  type Condition,
  type Field,
  type Page as FormPage,
  type ServiceDefinition,
} from '../src/modules/catalogue/definition.js';
import {
  checkAccessibility,
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
  type TestBrowser,
} from './harness.js';

/** Far more pages than any form has; a journey that reaches it is going round in a loop. */
const MAX_PAGES = 30;
/** How many services are also walked with JavaScript on (all of them are walked with it off). */
const WITH_JAVASCRIPT = 3;
const REFERENCE = /[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{4}/;
const CHECK_TITLE = 'Check your answers before sending';

/** A real 1×1 PNG, so an engine that looks at the bytes, not just the name, accepts it. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const PHOTO = { name: 'photo.png', mimeType: 'image/png', buffer: PNG };
/** Line 1, line 2 (left empty), town and postcode. */
const ADDRESS = ['1 High Street', '', 'Westmoor', 'WM1 1AA'];

/** An answer as conditions read it: a value, or for checkboxes the values ticked. */
type Answer = string | string[];
type Answers = Map<string, Answer>;

/**
 * Which answers the journey gives: `first` takes the first option and "No"; `other` takes the
 * last option, every checkbox and "Yes", which sends most services down their other branches.
 */
type Choices = 'first' | 'other';

interface JourneyOptions {
  choices?: Choices;
  /** Screenshots of the error, check and confirmation pages. */
  shots?: boolean;
  /** Stop on the check page without sending, and return the page there. */
  stopAtCheck?: boolean;
  /**
   * Pages already checked with axe in this mode: by service and page, and for question pages
   * the questions on it. The same page again with other answers in it is not checked twice.
   */
  checked?: Set<string>;
}

interface Journey {
  code: string;
  pages: string[];
  /** Empty when the journey stopped at the check page. */
  ref: string;
  page: Page;
}

let residents = 0;
/**
 * Each journey is another resident, from their own address (TEST-NET-2), as the app sees it
 * through its trusted proxy (TRUST_PROXY is loopback). From one address, the ~70 Sends of this
 * file would meet the limit on sending forms, which is there for scripts, not for a town's residents.
 */
function nextResident(): string {
  residents += 1;
  return `198.51.100.${(residents % 254) + 1}`;
}

const applies = (when: Condition | undefined, answers: Answers): boolean =>
  !when || conditionHolds(when, answers.get(when.field));

/** The first page after `index` whose condition holds on the answers so far. */
function nextPage(service: ServiceDefinition, index: number, answers: Answers) {
  const pages = service.form?.pages ?? [];
  return pages.slice(index + 1).find((page) => applies(page.when, answers));
}

function isOnPage(page: FormPage, name: string): boolean {
  return page.fields.some((field) => field.name === name);
}

/**
 * Whether the field is on the page: always, unless its condition is on an earlier page's
 * answer and does not hold (a condition on a question above it on the same page is settled
 * when the page is sent, so such a field is always there).
 */
function isRendered(page: FormPage, field: Field, answers: Answers): boolean {
  return !field.when || isOnPage(page, field.when.field) || applies(field.when, answers);
}

/** The names of a field's inputs, as the engine's contract gives them. */
function inputNames(field: Field): string[] {
  const parts =
    field.type === 'date'
      ? ['day', 'month', 'year']
      : field.type === 'address'
        ? ['line1', 'line2', 'town', 'postcode']
        : field.type === 'location'
          ? ['description', 'lat', 'lng']
          : [];
  return parts.length ? parts.map((part) => `${field.name}-${part}`) : [field.name];
}

/** The id an error summary link points at: the field's first input. */
function firstInputId(field: Field): string {
  return inputNames(field)[0] ?? field.name;
}

const byName = (form: Locator, name: string) => form.locator(`[name="${name}"]`);

function nextYear(): [string, string, string] {
  return ['1', '6', String(new Date().getFullYear() + 1)];
}

function numberAnswer(field: Extract<Field, { type: 'number' }>): number {
  let value = field.min ?? Math.min(1, field.max ?? 1);
  if (field.integer) value = Math.ceil(value);
  return value;
}

/** The answer the journey gives to a field, and what the check page should show for it. */
function chooseAnswer(field: Field, choices: Choices): { answer: Answer; shown: string[] } {
  switch (field.type) {
    case 'text':
    case 'textarea': {
      const value = (field.type === 'text' ? 'Test answer' : 'A short description.').slice(
        0,
        field.maxLength,
      );
      return { answer: value, shown: [value] };
    }
    case 'email':
      return { answer: 'resident@example.com', shown: ['resident@example.com'] };
    case 'phone':
      return { answer: '01632 960001', shown: ['01632 960001'] };
    case 'number': {
      const value = String(numberAnswer(field));
      return { answer: value, shown: [value] };
    }
    case 'date': {
      const date = field.future ? nextYear() : ['1', '1', '2000'];
      return { answer: date, shown: date.slice(2) };
    }
    case 'radios':
    case 'select': {
      const option = choices === 'first' ? field.options[0] : field.options.at(-1);
      assert.ok(option);
      return { answer: option.value, shown: [option.text] };
    }
    case 'checkboxes': {
      const count =
        choices === 'first' ? Math.max(1, field.minSelected ?? 1) : field.options.length;
      const options = field.options.slice(0, count);
      return { answer: options.map((o) => o.value), shown: options.map((o) => o.text) };
    }
    case 'yesno': {
      const value = choices === 'first' ? 'no' : 'yes';
      return { answer: value, shown: [value === 'yes' ? 'Yes' : 'No'] };
    }
    case 'address':
      return { answer: ADDRESS, shown: ['1 High Street', 'WM1 1AA'] };
    case 'location':
      return { answer: 'Outside 12 Market Street', shown: ['Outside 12 Market Street'] };
    case 'file':
      return { answer: PHOTO.name, shown: [PHOTO.name] };
    case 'declaration':
      return { answer: 'confirmed', shown: [] };
  }
}

/** Gives the answer in the field's inputs, as a resident would. */
async function fill(form: Locator, field: Field, answer: Answer): Promise<void> {
  const input = byName(form, field.name);
  const parts = inputNames(field);
  switch (field.type) {
    case 'date':
    case 'address':
    case 'location':
      // One input per part, in order: day, month, year; line 1, line 2, town, postcode; description.
      for (const [index, value] of [answer].flat().entries())
        await byName(form, parts[index] ?? '').fill(value);
      return;
    case 'select':
      await input.selectOption(String(answer));
      return;
    case 'radios':
    case 'checkboxes':
    case 'yesno':
    case 'declaration':
      for (const value of [answer].flat())
        await form.locator(`input[name="${field.name}"][value="${value}"]`).check();
      return;
    case 'file':
      await input.setInputFiles(PHOTO);
      return;
    default:
      await input.fill(String(answer));
  }
}

/**
 * The pages a journey with these answers walks, and the questions that count on each, worked
 * out from the definition alone. Two sets of answers with the same plan test the same thing.
 */
function plan(service: ServiceDefinition, choices: Choices): string[] {
  const answers: Answers = new Map();
  const steps: string[] = [];
  const pages = service.form?.pages ?? [];
  for (let page = nextPage(service, -1, answers); page;) {
    const counted: string[] = [];
    for (const field of page.fields)
      if (applies(field.when, answers)) {
        answers.set(field.name, chooseAnswer(field, choices).answer);
        counted.push(field.name);
      }
    steps.push(`${page.id}(${counted.join(',')})`);
    page = nextPage(service, pages.indexOf(page), answers);
  }
  return steps;
}

/** Whether a field is showing: with JavaScript on, a conditional reveal hides it until its answer is picked. */
async function isShowing(form: Locator, field: Field): Promise<boolean> {
  const input = byName(form, firstInputId(field)).first();
  const group = input.locator('xpath=ancestor::*[contains(@class, "govuk-form-group")][1]');
  return (await group.count()) ? group.isVisible() : input.isVisible();
}

/**
 * Clicks a button that sends a form and waits for the page that comes back; returns the
 * status and Location of the POST itself (303 and where to, or 400 for errors).
 */
async function send(page: Page, button: string): Promise<{ status: number; location: string }> {
  const posted = page.waitForResponse(
    (response) =>
      response.request().method() === 'POST' && response.request().isNavigationRequest(),
  );
  const loaded = page.waitForEvent('load');
  await page.getByRole('button', { name: button, exact: true }).click();
  const [response] = await Promise.all([posted, loaded]);
  const location = response.headers().location ?? '';
  return { status: response.status(), location: new URL(location, page.url()).pathname };
}

const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The one form on a question page, checked against the contract every page keeps. */
async function questionForm(page: Page, formPage: FormPage, where: string): Promise<Locator> {
  const form = page.locator('form[method="post"]');
  assert.equal(await form.count(), 1, `${where}: has one form that posts`);
  assert.notEqual(await form.getAttribute('novalidate'), null, `${where}: the form has novalidate`);
  assert.equal(
    await form.locator('input[type="hidden"][name="_csrf"]').count(),
    1,
    `${where}: _csrf`,
  );
  if (formPage.fields.some((field) => field.type === 'file'))
    assert.equal(
      await form.getAttribute('enctype'),
      'multipart/form-data',
      `${where}: a page with a file question sends multipart/form-data`,
    );
  return form;
}

/** Sends the first page empty and checks the error summary leads to every required question. */
async function checkEmptySubmit(page: Page, formPage: FormPage, where: string): Promise<void> {
  const required = formPage.fields.filter((field) => !field.optional && !field.when);
  if (!required.length) return;
  const { status } = await send(page, 'Continue');
  assert.equal(status, 400, `${where}: an empty page answers 400`);
  assert.match(await page.title(), /^Error: /, `${where}: the title starts "Error: "`);
  const summary = page
    .getByRole('alert')
    .filter({ has: page.locator('.govuk-error-summary__title') });
  assert.equal(
    normalise(await summary.locator('.govuk-error-summary__title').innerText()),
    'There is a problem',
    `${where}: the error summary says "There is a problem"`,
  );
  const links = summary.locator('.govuk-error-summary__list a');
  const hrefs = await links.evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
  assert.deepEqual(
    hrefs,
    required.map((field) => `#${firstInputId(field)}`),
    `${where}: the error summary links to each required question's first input, in order`,
  );
  const messages = (await page.locator('.govuk-error-message').allInnerTexts()).map(normalise);
  for (const [index, field] of required.entries()) {
    const id = firstInputId(field);
    assert.equal(await page.locator(`[id="${id}"]`).count(), 1, `${where}: #${id} is on the page`);
    const text = normalise(await links.nth(index).innerText());
    assert.ok(text, `${where}: the error for ${field.name} says something`);
    assert.ok(
      messages.some((message) => message.includes(text)),
      `${where}: "${text}" is also shown at ${field.name} (messages: ${JSON.stringify(messages)})`,
    );
  }
  await checkAccessibility(page);
}

/**
 * One resident's journey through one service, answering every question from its definition.
 * Returns the pages walked and the reference.
 */
async function completeService(
  t: TestContext,
  server: RunningServer,
  browser: TestBrowser,
  service: ServiceDefinition,
  { choices = 'first', shots = false, stopAtCheck = false, checked }: JourneyOptions = {},
): Promise<Journey> {
  const context = await browser.newContext({
    extraHTTPHeaders: { 'X-Forwarded-For': nextResident() },
  });
  t.after(() => context.close());
  const page = await context.newPage();
  // The empty first page deliberately answers 400, which Chromium logs as a console error.
  browser.allowConsoleError(page, /status of 400/);
  const code = service.code;
  const base = `${server.baseUrl}/services/${code}`;
  const pages = service.form?.pages ?? [];
  const mode = `JavaScript ${browser.javaScript ? 'on' : 'off'}`;
  const suffix = browser.javaScript ? '' : '-nojs';
  const checkOnce = async (layout: string) => {
    if (checked?.has(layout)) return;
    checked?.add(layout);
    await checkAccessibility(page);
  };

  if (choices === 'first') {
    const start = await page.goto(base);
    assert.equal(start?.status(), 200, `${code}: the start page loads`);
    await checkOnce(code);
    const startNow = page.getByRole('button', { name: 'Start now' });
    assert.equal(
      await startNow.getAttribute('href'),
      `/services/${code}/start`,
      `${code}: the start page's Start now button leads to /services/${code}/start`,
    );
    await Promise.all([page.waitForEvent('load'), startNow.click()]);
  } else {
    // The start page is the same whatever the answers: the first journey has been through it.
    await page.goto(`${base}/start`);
  }

  const answers: Answers = new Map();
  /** What the check page should show: every answer given to a question that counts. */
  const shown: string[] = [];
  const walked: string[] = [];
  let expected = nextPage(service, -1, answers);
  for (;;) {
    assert.ok(
      walked.length < MAX_PAGES,
      `${code}: more than ${MAX_PAGES} pages: ${walked.join(' → ')}`,
    );
    if (!expected) break;
    const path = new URL(page.url()).pathname;
    assert.equal(
      path,
      `/services/${code}/form/${expected.id}`,
      `${code}: after ${walked.join(' → ') || 'Start now'}, the next page is "${expected.id}"`,
    );
    const formPage = expected;
    const where = `${code} page "${formPage.id}" (${mode})`;
    walked.push(formPage.id);
    const rendered = formPage.fields.filter((field) => isRendered(formPage, field, answers));
    await checkOnce(`${code}/${formPage.id}(${rendered.map((field) => field.name).join()})`);
    let form = await questionForm(page, formPage, where);
    // The first page is the same whatever the answers, so its errors are checked once.
    if (walked.length === 1 && choices === 'first') {
      await checkEmptySubmit(page, formPage, where);
      if (shots) t.diagnostic(await screenshot(page, `forms-${code}-error${suffix}`));
      form = await questionForm(page, formPage, `${where} after errors`);
    }

    // Every input belongs to a question on this page, and exactly the right questions are here.
    const known = new Set(rendered.flatMap(inputNames));
    const names = await form
      .locator('input[name], select[name], textarea[name]')
      .evaluateAll((inputs) => inputs.map((input) => input.getAttribute('name') ?? ''));
    const strays = names.filter((name) => !name.startsWith('_') && !known.has(name));
    assert.deepEqual(strays, [], `${where}: inputs that match no question on this page`);
    for (const field of formPage.fields) {
      const present = names.includes(firstInputId(field));
      assert.equal(
        present,
        rendered.includes(field),
        `${where}: ${field.name} is ${present ? '' : 'not '}on the page` +
          (field.when ? ` (when ${JSON.stringify(field.when)})` : ''),
      );
    }

    for (const field of rendered) {
      const counts = applies(field.when, answers);
      if (browser.javaScript && !(await isShowing(form, field))) {
        assert.ok(
          !counts,
          `${where}: ${field.name} should show once ${field.when?.field} is answered`,
        );
        continue;
      }
      const filled = chooseAnswer(field, choices);
      await fill(form, field, filled.answer);
      if (!counts) continue;
      answers.set(field.name, filled.answer);
      shown.push(...filled.shown);
    }

    const index = pages.indexOf(formPage);
    expected = nextPage(service, index, answers);
    const { status, location } = await send(page, 'Continue');
    const wanted = expected ? `/services/${code}/form/${expected.id}` : `/services/${code}/check`;
    if (status === 400) {
      const errors = await page
        .locator('.govuk-error-summary__list')
        .innerText()
        .catch(() => '');
      assert.fail(`${where}: valid answers were refused (400): ${normalise(errors)}`);
    }
    assert.equal(status, 303, `${where}: valid answers get 303`);
    assert.equal(location, wanted, `${where}: valid answers lead to ${wanted}`);
    browser.assertNoConsoleErrors(page);
  }

  // Check your answers.
  assert.equal(new URL(page.url()).pathname, `/services/${code}/check`, `${code}: the check page`);
  assert.equal(normalise(await page.getByRole('heading', { level: 1 }).innerText()), CHECK_TITLE);
  await checkOnce(`${code}/check`);
  const summary = normalise((await page.locator('.govuk-summary-list').allInnerTexts()).join(' '));
  const missing = shown.filter((text) => !summary.includes(normalise(text)));
  assert.deepEqual(missing, [], `${code}: every answer is on the check page`);
  const changes = page.locator('.govuk-summary-list a', { hasText: 'Change' });
  assert.ok((await changes.count()) > 0, `${code}: the check page has Change links`);
  for (const href of await changes.evaluateAll((links) =>
    links.map((a) => a.getAttribute('href')),
  )) {
    const target = new URL(href ?? '', page.url()).pathname;
    assert.ok(
      walked.some((id) => target === `/services/${code}/form/${id}`),
      `${code}: a Change link goes to ${target}, not one of the pages answered`,
    );
  }
  if (shots) t.diagnostic(await screenshot(page, `forms-${code}-check${suffix}`));

  if (stopAtCheck) return { code, pages: walked, ref: '', page };

  const sent = await send(page, 'Send');
  assert.equal(sent.status, 303, `${code}: Send answers 303`);
  assert.equal(
    sent.location,
    `/services/${code}/confirmation`,
    `${code}: Send leads to the confirmation`,
  );

  // Confirmation.
  await checkOnce(`${code}/confirmation`);
  const panel = normalise(await page.locator('.govuk-panel').innerText());
  const ref = REFERENCE.exec(panel)?.[0];
  assert.ok(ref, `${code}: the confirmation panel shows a reference (it says "${panel}")`);
  assert.ok(
    ref.startsWith(`${service.refPrefix}-`),
    `${code}: the reference ${ref} starts ${service.refPrefix}`,
  );
  assert.ok(
    await page.getByRole('heading', { name: 'What happens next' }).isVisible(),
    `${code}: the confirmation says what happens next`,
  );
  browser.assertNoConsoleErrors(page);

  const saved = await server.database.db
    .selectFrom('cases')
    .select(['service_code', 'kind', 'channel', 'team', 'due_at'])
    .where('ref', '=', ref)
    .execute();
  assert.equal(saved.length, 1, `${code}: one case has the reference ${ref}`);
  const [row] = saved;
  assert.ok(row);
  assert.deepEqual(
    { service_code: row.service_code, kind: row.kind, channel: row.channel, team: row.team },
    { service_code: code, kind: service.caseKind, channel: 'web', team: service.team },
    `${code}: the case is the service's`,
  );
  if (service.sla.days > 0)
    assert.ok(row.due_at, `${code}: the case is due in ${service.sla.days} days`);
  if (shots) t.diagnostic(await screenshot(page, `forms-${code}-confirmation${suffix}`));
  return { code, pages: walked, ref, page };
}

const countCases = async ({ database }: RunningServer, code: string) =>
  (await database.db.selectFrom('cases').select('id').where('service_code', '=', code).execute())
    .length;

/**
 * Send pressed twice before the first answer comes back (a double click with JavaScript off,
 * or a slow connection): both requests carry the same session and token, and one case is made.
 */
async function checkDoubleSend(
  t: TestContext,
  server: RunningServer,
  browser: TestBrowser,
  service: ServiceDefinition,
): Promise<void> {
  const { page } = await completeService(t, server, browser, service, { stopAtCheck: true });
  const form = page.locator('form[method="post"]', {
    has: page.getByRole('button', { name: 'Send', exact: true }),
  });
  const { action, fields } = await form.evaluate((element) => {
    const sending = element as HTMLFormElement;
    const data: Record<string, string> = {};
    for (const [name, value] of new FormData(sending))
      if (typeof value === 'string') data[name] = value;
    return { action: sending.action, fields: data };
  });
  assert.ok(fields._csrf, 'the check page form carries a CSRF token');
  const before = await countCases(server, service.code);
  const post = () => page.request.post(action, { form: fields, maxRedirects: 0 });
  const responses = await Promise.all([post(), post()]);
  const statuses = responses.map((response) => response.status());
  t.diagnostic(`two Sends at once answered ${statuses.join(' and ')}`);
  for (const response of responses)
    assert.equal(
      new URL(response.headers().location ?? '', action).pathname,
      `/services/${service.code}/confirmation`,
      'both Sends lead to the confirmation, not an error',
    );
  assert.equal(
    await countCases(server, service.code),
    before + 1,
    `${service.code}: two Sends at once made ${(await countCases(server, service.code)) - before} cases`,
  );
  // Back to the check page and Send once more, as a resident who was not sure it worked would.
  browser.allowConsoleError(page, /status of 4\d\d/);
  await send(page, 'Send').catch(() => undefined);
  assert.equal(
    await countCases(server, service.code),
    before + 1,
    `${service.code}: pressing Send again on the old check page made another case`,
  );
  browser.assertNoConsoleErrors(page);
}

/** Journeys run side by side, each in its own browser context, so the run stays short. */
const CONCURRENCY = 2;

/** Walks each service in its own subtest, several at once, printing one line per service. */
async function walkAll(
  t: TestContext,
  server: RunningServer,
  browser: TestBrowser,
  services: ServiceDefinition[],
  options: JourneyOptions = {},
): Promise<void> {
  await Promise.all(
    services.map((service, index) =>
      t.test(service.code, async (t) => {
        const journey = await completeService(t, server, browser, service, {
          ...options,
          shots: options.shots && index === 0,
        });
        t.diagnostic(
          `${journey.code}: ${journey.pages.length} pages (${journey.pages.join(' → ')}), ${journey.ref}`,
        );
      }),
    ),
  );
}

await test('every form service can be completed in the browser', async (t) => {
  const server = await startServer(t);
  const forms = loadCatalogue(server.config.servicesDir).services.filter(
    (service) => service.kind === 'form',
  );
  assert.ok(forms.length > WITH_JAVASCRIPT, 'the catalogue has form services');
  const parallel = { concurrency: CONCURRENCY };
  const checkedWithoutJavaScript = new Set<string>();

  await t.test(`all ${forms.length}, JavaScript off`, parallel, async (t) => {
    const browser = await launchBrowser(t, { javaScript: false });
    await walkAll(t, server, browser, forms, { shots: true, checked: checkedWithoutJavaScript });
  });

  await t.test(`the first ${WITH_JAVASCRIPT}, JavaScript on`, parallel, async (t) => {
    const browser = await launchBrowser(t, { javaScript: true });
    await walkAll(t, server, browser, forms.slice(0, WITH_JAVASCRIPT), { shots: true });
  });

  // The last option of every question and Yes to every yes/no question take most forms down
  // the pages and questions the first answers skip.
  const branching = forms.filter(
    (service) => plan(service, 'other').join() !== plan(service, 'first').join(),
  );
  await t.test(`the other branches of ${branching.length}, JavaScript off`, parallel, async (t) => {
    const browser = await launchBrowser(t, { javaScript: false });
    await walkAll(t, server, browser, branching, {
      choices: 'other',
      checked: checkedWithoutJavaScript,
    });
  });

  await t.test('pressing Send twice makes one case', async (t) => {
    const browser = await launchBrowser(t, { javaScript: false });
    const shortest = [...forms].sort(
      (a, b) => (a.form?.pages.length ?? 0) - (b.form?.pages.length ?? 0),
    )[0];
    assert.ok(shortest);
    await checkDoubleSend(t, server, browser, shortest);
  });
});
