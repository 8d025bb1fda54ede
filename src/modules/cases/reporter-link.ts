import type { Config } from '../../platform/config.js';
import { seal, unseal } from '../../platform/crypto.js';
import { casePath } from './kinds.js';

const PURPOSE = 'case-reporter-link';
/** Links in emails keep working for as long as anyone would reasonably act on a report. */
const VALID_DAYS = 400;

/**
 * The link, sent only to the person who opened a case, that lets them manage it without
 * an account (hide their name, withdraw it, say whether it was really fixed). Sealed with
 * SESSION_SECRET, so it cannot be made up or pointed at another case.
 */
export function reporterLink(
  config: Pick<Config, 'publicUrl' | 'sessionSecret'>,
  found: { id: number; kind: Parameters<typeof casePath>[0]['kind']; ref: string },
  action: 'manage' | 'resolved',
  now = new Date(),
): string {
  const token = seal(config.sessionSecret, PURPOSE, { caseId: found.id, at: now.getTime() });
  return `${config.publicUrl}${casePath(found)}/${action}/${token}`;
}

/** The case a reporter link is for, or undefined if it is not genuine or too old. */
export function caseFromReporterLink(
  config: Pick<Config, 'sessionSecret'>,
  token: string,
  now = new Date(),
): number | undefined {
  const value = unseal(config.sessionSecret, PURPOSE, token) as
    { caseId?: unknown; at?: unknown } | undefined;
  if (typeof value?.caseId !== 'number' || typeof value.at !== 'number') return undefined;
  if (now.getTime() - value.at > VALID_DAYS * 24 * 60 * 60_000) return undefined;
  return value.caseId;
}
