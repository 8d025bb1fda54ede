import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import {
  categoryFromInput,
  checkOrder,
  questionFromInput,
  withQuestions,
} from '../catalogue/category-editor.js';
import { questionsOf, type Field, type ServiceDefinition } from '../catalogue/definition.js';
import type { CatalogueService } from '../catalogue/service.js';
import type { ServiceSettings } from '../catalogue/settings.js';
import { audit } from './audit.js';
import { requireAdmin, type Staff } from './roles.js';

type Input = Record<string, string | undefined>;

/**
 * Administrators' report categories: adding one, changing its details and questions, and
 * retiring it (no new reports; its old ones stay as they are). Every change is checked by
 * the catalogue's rules, stored for every node, and audited with before and after.
 */
export class CategoryAdmin {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly catalogue: CatalogueService,
    private readonly settings: ServiceSettings,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Every report category, retired ones last. */
  list(): { service: ServiceDefinition; retired: boolean; questions: number }[] {
    return this.catalogue
      .everyService()
      .filter((s) => s.kind === 'report')
      .map((service) => ({
        service,
        retired: this.catalogue.isRetired(service.code),
        questions: questionsOf(service).length,
      }))
      .sort(
        (a, b) =>
          Number(a.retired) - Number(b.retired) || a.service.name.localeCompare(b.service.name),
      );
  }

  /** A report category as defined (before any team or SLA setting), retired or not. */
  get(code: string): ServiceDefinition {
    const found = this.catalogue.base(code);
    if (found?.kind !== 'report') throw new NotFoundError('There is no such report category.');
    return found;
  }

  isRetired(code: string): boolean {
    return this.catalogue.isRetired(code);
  }

  async create(admin: Staff, input: Input): Promise<ServiceDefinition> {
    requireAdmin(admin);
    const everything = this.catalogue.everyService();
    const made = categoryFromInput(input, undefined, {
      codes: new Set(everything.map((s) => s.code)),
      prefixes: new Set(everything.map((s) => s.refPrefix)),
    });
    await this.save(admin, 'category.create', undefined, made);
    return made;
  }

  async update(admin: Staff, code: string, input: Input): Promise<void> {
    requireAdmin(admin);
    const before = this.get(code);
    const after = categoryFromInput(input, before, { codes: new Set(), prefixes: new Set() });
    await this.save(admin, 'category.update', before, after);
  }

  async retire(admin: Staff, code: string, retired: boolean): Promise<void> {
    requireAdmin(admin);
    const definition = this.get(code);
    if (retired && this.catalogue.services.filter((s) => s.kind === 'report').length <= 1)
      throw new ValidationError('Report It needs at least one category.');
    await this.settings.setDefinition(definition, retired);
    await this.audited(admin, retired ? 'category.retire' : 'category.restore', code, {
      before: { retired: !retired },
      after: { retired },
    });
  }

  question(code: string, name: string): Field {
    const found = questionsOf(this.get(code)).find((f) => f.name === name);
    if (!found) throw new NotFoundError('There is no such question.');
    return found;
  }

  async addQuestion(admin: Staff, code: string, input: Input): Promise<void> {
    requireAdmin(admin);
    const before = this.get(code);
    const fields = questionsOf(before);
    if (fields.length >= 20)
      throw new ValidationError(
        'A category has at most 20 questions: Report It asks them on one page.',
      );
    const added = questionFromInput(input, undefined, before);
    await this.save(
      admin,
      'category.question.add',
      before,
      withQuestions(before, [...fields, added]),
    );
  }

  async updateQuestion(admin: Staff, code: string, name: string, input: Input): Promise<void> {
    requireAdmin(admin);
    const before = this.get(code);
    const changed = questionFromInput(input, this.question(code, name), before);
    const fields = questionsOf(before).map((f) => (f.name === name ? changed : f));
    await this.save(admin, 'category.question.update', before, withQuestions(before, fields));
  }

  async removeQuestion(admin: Staff, code: string, name: string): Promise<void> {
    requireAdmin(admin);
    const before = this.get(code);
    const gone = this.question(code, name);
    const fields = questionsOf(before).filter((f) => f.name !== name);
    checkOrder(fields, gone.label);
    await this.save(admin, 'category.question.remove', before, withQuestions(before, fields));
  }

  /** Swaps a question with the one above (-1) or below (+1) it. */
  async moveQuestion(admin: Staff, code: string, name: string, by: -1 | 1): Promise<void> {
    requireAdmin(admin);
    const before = this.get(code);
    const fields = questionsOf(before);
    const from = fields.findIndex((f) => f.name === name);
    const to = from + by;
    const moving = fields[from];
    const other = fields[to];
    if (!moving) throw new NotFoundError('There is no such question.');
    if (!other) return;
    fields[to] = moving;
    fields[from] = other;
    checkOrder(fields, (by < 0 ? other : moving).label);
    await this.save(admin, 'category.question.move', before, withQuestions(before, fields));
  }

  private async save(
    admin: Staff,
    action: string,
    before: ServiceDefinition | undefined,
    after: ServiceDefinition,
  ): Promise<void> {
    await this.settings.setDefinition(after, this.catalogue.isRetired(after.code));
    await this.audited(admin, action, after.code, {
      before: before ? { ...before } : null,
      after: { ...after },
    });
  }

  private audited(
    admin: Staff,
    action: string,
    code: string,
    change: { before: Record<string, unknown> | null; after: Record<string, unknown> },
  ): Promise<void> {
    return audit(
      this.db,
      { actor: admin, action, target: { type: 'service', id: code }, ...change },
      this.clock(),
    );
  }
}
