import { randomUUID } from 'node:crypto';
import type { Session } from '../../platform/http/session.js';
import type { ServiceDefinition } from '../catalogue/definition.js';
import type { Answers } from './journey.js';

/** One resident's progress through one service's form, kept in their session. */
export interface FormProgress {
  /** The definition version the answers were given against; a new version starts again. */
  version: number;
  answers: Answers;
  /** Identifies this one sending: a double-clicked Send carries it twice and opens one case. */
  submission: string;
}

/** What was last sent, so the confirmation page (and a replayed Send) can show it. */
export interface SentForm {
  submission: string;
  ref: string;
}

const KEY = 'forms';
const SENT_KEY = 'formsSent';

type Store<T> = Record<string, T | undefined>;

function read<T>(session: Session, key: string): Store<T> {
  const value = session.get(key);
  return value && typeof value === 'object' ? (value as Store<T>) : {};
}

export function loadProgress(session: Session, service: ServiceDefinition): FormProgress {
  const saved = read<FormProgress>(session, KEY)[service.code];
  if (saved?.version === service.version) return saved;
  return { version: service.version, answers: {}, submission: randomUUID() };
}

export function saveProgress(
  session: Session,
  service: ServiceDefinition,
  progress: FormProgress,
): void {
  session.set(KEY, { ...read<FormProgress>(session, KEY), [service.code]: progress });
}

/** The form was sent: forget the answers, remember the reference for the confirmation page. */
export function markSent(session: Session, service: ServiceDefinition, sent: SentForm): void {
  session.set(KEY, { ...read<FormProgress>(session, KEY), [service.code]: undefined });
  session.set(SENT_KEY, { ...read<SentForm>(session, SENT_KEY), [service.code]: sent });
}

export function lastSent(session: Session, service: ServiceDefinition): SentForm | undefined {
  return read<SentForm>(session, SENT_KEY)[service.code];
}
