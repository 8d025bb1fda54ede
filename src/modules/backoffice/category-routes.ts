import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { ValidationError } from '../../platform/errors.js';
import { validationProblems as problems } from '../account/inputs.js';
import { categoryValues, QUESTION_TYPES, questionValues } from '../catalogue/category-editor.js';
import { CATEGORIES, questionsOf } from '../catalogue/definition.js';
import type { Staff } from './roles.js';

type Body = Record<string, string | undefined>;
type Params = { code: string };
type QuestionParams = Params & { name: string };

const FIELD_TYPE_NAMES: Record<string, string> = {
  ...QUESTION_TYPES,
  select: 'Choose one answer from a drop-down list',
  number: 'A number',
  date: 'A date',
  email: 'An email address',
  phone: 'A phone number',
  file: 'A file',
};

/** What the back office gives the administrators' pages registered inside it. */
export type AdminPageOptions = ModuleOptions & {
  adminOnly: (request: FastifyRequest) => Staff;
  takeFlash: (request: FastifyRequest) => string | undefined;
  flash: (request: FastifyRequest, text: string) => void;
};

/**
 * Administrators' report categories at /staff/admin/categories: add one, change its
 * details, its questions and their order, and retire or restore it. Registered inside the
 * back office, so its sign-in, staff and two-factor checks apply; each change checks the
 * administrator role itself (CategoryAdmin).
 */
export function categoryRoutes(app: FastifyInstance, options: AdminPageOptions, done: () => void) {
  const { services, adminOnly, takeFlash, flash } = options;
  const admin = services.categoryAdmin;
  const home = (code: string) => `/staff/admin/categories/${code}`;

  /** Runs a change; a ValidationError shows `page` again with it, anything else is thrown. */
  const attempt = async (
    change: () => Promise<unknown>,
    page: (error: ValidationError) => unknown,
  ): Promise<boolean> => {
    try {
      await change();
      return true;
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await page(err);
      return false;
    }
  };

  const groups = (chosen: string | undefined) =>
    Object.entries(CATEGORIES).map(([value, text]) => ({
      value,
      text,
      selected: value === chosen,
    }));

  app.get('/staff/admin/categories', (request, reply) =>
    reply.render('backoffice/views/categories.njk', {
      pageTitle: 'Report categories',
      staff: adminOnly(request),
      flash: takeFlash(request),
      categories: admin.list(),
      problems: services.settings.problems,
    }),
  );

  const newPage = (reply: FastifyReply, staff: Staff, values: Body, error?: ValidationError) =>
    reply.code(error ? 400 : 200).render('backoffice/views/category-new.njk', {
      pageTitle: 'Add a report category',
      staff,
      values,
      groups: groups(values.group ?? 'roads-transport'),
      teams: services.backOffice.teams(),
      ...problems(error),
    });

  app.get('/staff/admin/categories/new', (request, reply) =>
    newPage(reply, adminOnly(request), {}),
  );

  app.post<{ Body: Body }>('/staff/admin/categories/new', async (request, reply) => {
    const staff = adminOnly(request);
    let code = '';
    const done = await attempt(
      async () => {
        code = (await admin.create(staff, request.body)).code;
      },
      (error) => newPage(reply, staff, request.body, error),
    );
    if (!done) return reply;
    flash(request, 'Category added. Residents can report it now; add its questions below.');
    return reply.redirect(home(code), 303);
  });

  const categoryPage = (
    reply: FastifyReply,
    staff: Staff,
    code: string,
    values?: Body,
    error?: ValidationError,
  ) => {
    const service = admin.get(code);
    const shown = values ?? categoryValues(service);
    return reply.code(error ? 400 : 200).render('backoffice/views/category.njk', {
      pageTitle: service.name,
      staff,
      flash: error ? undefined : takeFlash(reply.request),
      service,
      retired: admin.isRetired(code),
      fromFile: services.catalogue.inFiles(code),
      settings: services.settings.describe(code),
      values: shown,
      groups: groups(shown.group),
      questions: questionsOf(service).map((field, index, all) => ({
        field,
        typeName: FIELD_TYPE_NAMES[field.type] ?? field.type,
        first: index === 0,
        last: index === all.length - 1,
        dependsOn: all.find((f) => f.name === field.when?.field)?.label,
      })),
      ...problems(error),
    });
  };

  app.get<{ Params: Params }>('/staff/admin/categories/:code', (request, reply) =>
    categoryPage(reply, adminOnly(request), request.params.code),
  );

  app.post<{ Params: Params; Body: Body }>(
    '/staff/admin/categories/:code',
    async (request, reply) => {
      const staff = adminOnly(request);
      const { code } = request.params;
      const done = await attempt(
        () => admin.update(staff, code, request.body),
        (error) => categoryPage(reply, staff, code, request.body, error),
      );
      if (!done) return reply;
      flash(request, 'Saved. Residents see it now.');
      return reply.redirect(home(code), 303);
    },
  );

  app.post<{ Params: Params; Body: Body }>(
    '/staff/admin/categories/:code/retire',
    async (request, reply) => {
      const staff = adminOnly(request);
      const { code } = request.params;
      const retire = request.body.retired !== 'no';
      const done = await attempt(
        () => admin.retire(staff, code, retire),
        (error) => categoryPage(reply, staff, code, undefined, error),
      );
      if (!done) return reply;
      flash(
        request,
        retire
          ? 'Retired. Residents can no longer report it; its reports stay as they are.'
          : 'Restored. Residents can report it again.',
      );
      return reply.redirect(home(code), 303);
    },
  );

  const questionPage = (
    reply: FastifyReply,
    staff: Staff,
    code: string,
    name: string | undefined,
    values?: Body,
    error?: ValidationError,
  ) => {
    const service = admin.get(code);
    const field = name === undefined ? undefined : admin.question(code, name);
    const shown = values ?? (field ? questionValues(field) : {});
    return reply.code(error ? 400 : 200).render('backoffice/views/category-question.njk', {
      pageTitle: field ? `Change a question: ${service.name}` : `Add a question: ${service.name}`,
      staff,
      service,
      field,
      typeName: field ? (FIELD_TYPE_NAMES[field.type] ?? field.type) : undefined,
      hasOptions: field ? 'options' in field : true,
      values: shown,
      types: Object.entries(QUESTION_TYPES).map(([value, text]) => ({
        value,
        text,
        checked: value === shown.type,
      })),
      ...problems(error),
    });
  };

  app.get<{ Params: Params }>('/staff/admin/categories/:code/questions/new', (request, reply) =>
    questionPage(reply, adminOnly(request), request.params.code, undefined),
  );

  app.post<{ Params: Params; Body: Body }>(
    '/staff/admin/categories/:code/questions/new',
    async (request, reply) => {
      const staff = adminOnly(request);
      const { code } = request.params;
      const done = await attempt(
        () => admin.addQuestion(staff, code, request.body),
        (error) => questionPage(reply, staff, code, undefined, request.body, error),
      );
      if (!done) return reply;
      flash(request, 'Question added. Residents are asked it from now on.');
      return reply.redirect(home(code), 303);
    },
  );

  app.get<{ Params: QuestionParams }>(
    '/staff/admin/categories/:code/questions/:name',
    (request, reply) =>
      questionPage(reply, adminOnly(request), request.params.code, request.params.name),
  );

  app.post<{ Params: QuestionParams; Body: Body }>(
    '/staff/admin/categories/:code/questions/:name',
    async (request, reply) => {
      const staff = adminOnly(request);
      const { code, name } = request.params;
      const done = await attempt(
        () => admin.updateQuestion(staff, code, name, request.body),
        (error) => questionPage(reply, staff, code, name, request.body, error),
      );
      if (!done) return reply;
      flash(request, 'Question saved.');
      return reply.redirect(home(code), 303);
    },
  );

  app.post<{ Params: QuestionParams; Body: Body }>(
    '/staff/admin/categories/:code/questions/:name/remove',
    async (request, reply) => {
      const staff = adminOnly(request);
      const { code, name } = request.params;
      const done = await attempt(
        () => admin.removeQuestion(staff, code, name),
        (error) => categoryPage(reply, staff, code, undefined, error),
      );
      if (!done) return reply;
      flash(request, 'Question removed. Reports already made keep their answers.');
      return reply.redirect(home(code), 303);
    },
  );

  app.post<{ Params: QuestionParams; Body: Body }>(
    '/staff/admin/categories/:code/questions/:name/move',
    async (request, reply) => {
      const staff = adminOnly(request);
      const { code, name } = request.params;
      const done = await attempt(
        () => admin.moveQuestion(staff, code, name, request.body.direction === 'up' ? -1 : 1),
        (error) => categoryPage(reply, staff, code, undefined, error),
      );
      if (!done) return reply;
      flash(request, 'Question moved.');
      return reply.redirect(`${home(code)}#questions`, 303);
    },
  );
  done();
}
