import { seal, unseal } from '../../platform/crypto.js';

/**
 * The links in a notification that act without signing in: stop updates about a case, and
 * answer the one-question survey when it closes. Each is sealed with SESSION_SECRET, so it
 * cannot be made up or pointed at another case, and carries no personal details in clear.
 */

const UNSUBSCRIBE = 'unsubscribe-link';
const SURVEY = 'survey-link';

export function unsubscribeUrl(
  settings: { publicUrl: string; secret: string },
  subscriptionId: number,
): string {
  return `${settings.publicUrl}/notifications/unsubscribe/${seal(settings.secret, UNSUBSCRIBE, { s: subscriptionId })}`;
}

/** The subscription an unsubscribe link stops, or undefined if the link is not genuine. */
export function subscriptionFromLink(secret: string, token: string): number | undefined {
  const value = unseal(secret, UNSUBSCRIBE, token) as { s?: unknown } | undefined;
  return typeof value?.s === 'number' ? value.s : undefined;
}

export function surveyUrl(settings: { publicUrl: string; secret: string }, caseId: number): string {
  return `${settings.publicUrl}/notifications/survey/${seal(settings.secret, SURVEY, { c: caseId })}`;
}

export function caseFromSurveyLink(secret: string, token: string): number | undefined {
  const value = unseal(secret, SURVEY, token) as { c?: unknown } | undefined;
  return typeof value?.c === 'number' ? value.c : undefined;
}
