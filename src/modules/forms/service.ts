import type { Channel } from '../../platform/config.js';
import type { Actor, Case, CaseService } from '../cases/service.js';
import { addWorkingDays } from '../cases/sla.js';
import type { ServiceDefinition } from '../catalogue/definition.js';
import { displayAnswer, type FileAnswer } from './fields.js';
import { applicablePages, applicableFields, type Answers } from './journey.js';

/** One question and its answer as the resident saw them, kept with the case. */
export interface AnsweredQuestion {
  page: string;
  field: string;
  question: string;
  answer: string[];
  value: unknown;
}

/**
 * The answers as the resident saw them, question by question. A case keeps this copy,
 * with the definition's version, so later edits to a service never change what an old
 * case says was asked and answered.
 */
export function answeredQuestions(
  service: ServiceDefinition,
  answers: Answers,
): AnsweredQuestion[] {
  if (!service.form) return [];
  return applicablePages(service.form, answers).flatMap((page) =>
    applicableFields(page, answers)
      .filter((field) => answers[field.name] !== undefined)
      .map((field) => ({
        page: page.id,
        field: field.name,
        question: field.label,
        answer: displayAnswer(field, answers[field.name]),
        value: answers[field.name],
      })),
  );
}

function text(answer: unknown): string | null {
  return typeof answer === 'string' && answer.trim() ? answer.trim() : null;
}

/** Sends a completed form: one case, routed to the service's team, due by its SLA. */
export async function submitForm(
  cases: CaseService,
  service: ServiceDefinition,
  answers: Answers,
  options: {
    submission: string;
    actor: Actor;
    /** 'web', or 'phone' / 'face_to_face' when an agent sends it for a resident. */
    channel?: Channel;
    accountId?: number | null;
    now?: Date;
  },
): Promise<Case> {
  const now = options.now ?? new Date();
  const kind = service.caseKind ?? 'request';
  const idempotencyKey = `form:${options.submission}`;
  const sent = await cases.getByIdempotencyKey(idempotencyKey);
  if (sent) return sent;
  try {
    return await openWithAttachments();
  } catch (err) {
    // A second Send raced the first and lost on the unique key: the first one's case is the answer.
    const winner = await cases.getByIdempotencyKey(idempotencyKey);
    if (winner) return winner;
    throw err;
  }

  function openWithAttachments(): Promise<Case> {
    return cases.transaction(async (inTrx) => {
      const opened = await inTrx.openCase({
        serviceCode: service.code,
        refPrefix: service.refPrefix,
        kind,
        channel: options.channel ?? 'web',
        title: service.name,
        data: { serviceVersion: service.version, answers: answeredQuestions(service, answers) },
        contact: {
          name: text(answers.fullName),
          email: text(answers.email),
          phone: text(answers.phone),
        },
        team: service.team,
        accountId: options.accountId ?? null,
        dueAt: service.sla.days > 0 ? addWorkingDays(now, service.sla.days) : null,
        actor: options.actor,
        idempotencyKey,
      });
      for (const field of service.form?.pages.flatMap((p) => p.fields) ?? []) {
        const answer = answers[field.name];
        if (field.type !== 'file' || !answer) continue;
        const file = answer as FileAnswer;
        await inTrx.attach(
          opened.id,
          {
            storageKey: file.key,
            filename: file.filename,
            contentType: file.contentType,
            bytes: file.bytes,
            public: false,
          },
          options.actor,
        );
      }
      return opened;
    });
  }
}
