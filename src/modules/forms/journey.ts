import {
  conditionHolds,
  type Field,
  type FormDefinition,
  type Page,
} from '../catalogue/definition.js';
import type { Answer } from './fields.js';

/** A resident's answers so far, by field name. */
export type Answers = Record<string, Answer>;

/**
 * Which pages and fields apply, given the answers so far. Conditions only ever look at
 * earlier answers (the catalogue checks that), so walking the pages in order is enough.
 */
export function pageApplies(page: Page, answers: Answers): boolean {
  return !page.when || conditionHolds(page.when, answers[page.when.field]);
}

export function fieldApplies(field: Field, answers: Answers): boolean {
  return !field.when || conditionHolds(field.when, answers[field.when.field]);
}

export function applicablePages(form: FormDefinition, answers: Answers): Page[] {
  return form.pages.filter((page) => pageApplies(page, answers));
}

/** The fields of a page that apply, given answers (including those just given on this page). */
export function applicableFields(page: Page, answers: Answers): Field[] {
  return page.fields.filter((field) => fieldApplies(field, answers));
}

/**
 * The fields to show on a page. A field that depends on an answer on the same page is
 * always shown (without JavaScript we cannot know the answer yet); it is only checked and
 * kept when its condition holds once the page is sent.
 */
export function visibleFields(page: Page, answers: Answers): Field[] {
  const onThisPage = new Set(page.fields.map((f) => f.name));
  return page.fields.filter(
    (field) => !field.when || onThisPage.has(field.when.field) || fieldApplies(field, answers),
  );
}

/** A page is done when every field on it that applies is answered (or optional). */
export function pageComplete(page: Page, answers: Answers): boolean {
  return applicableFields(page, answers).every(
    (field) => field.optional || answers[field.name] !== undefined,
  );
}

/** The first page that still needs answers, or undefined when the form is ready to check. */
export function firstIncompletePage(form: FormDefinition, answers: Answers): Page | undefined {
  return applicablePages(form, answers).find((page) => !pageComplete(page, answers));
}

/** The page after `current` that applies, or undefined at the end. */
export function nextPage(form: FormDefinition, current: Page, answers: Answers): Page | undefined {
  const index = form.pages.indexOf(current);
  return form.pages.slice(index + 1).find((page) => pageApplies(page, answers));
}

/**
 * Only the answers that still apply: if someone changes an earlier answer so a later page
 * no longer applies, its answers go, and are never sent or stored with the case.
 */
export function applicableAnswers(form: FormDefinition, answers: Answers): Answers {
  const kept: Answers = {};
  for (const page of form.pages) {
    if (!pageApplies(page, kept)) continue;
    for (const field of page.fields) {
      const answer = answers[field.name];
      if (answer !== undefined && fieldApplies(field, kept)) kept[field.name] = answer;
    }
  }
  return kept;
}
