import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import { ValidationError } from '../../platform/errors.js';
import { CASE_KINDS } from '../cases/kinds.js';
import type { Case, CaseService } from '../cases/service.js';
import { publicTimeline } from '../cases/timeline.js';
import { verifyPassword } from './passwords.js';
import { toProfile, type Profile } from './profile.js';
import * as pq from './profile-queries.js';
import * as q from './queries.js';

/**
 * The answers a form case keeps that are the resident's contact details: the fields the forms
 * module reads them from (forms/service.ts). Removed from their cases with the account.
 */
const CONTACT_ANSWERS = ['fullName', 'email', 'phone'] as const;

/** What a resident without a password types to confirm deleting their account. */
export const DELETE_WORDS = 'delete my account';

/** A form saved to finish later, as the caller names it from the catalogue. */
export interface SavedFormEntry {
  name: string;
  savedAt: Date;
  expiresAt: Date;
}

/** Everything we hold about a resident, as they download it (never a password hash or secret). */
export interface ResidentData {
  downloadedAt: string;
  account: Omit<Profile, 'id'>;
  cases: {
    reference: string;
    type: string;
    title: string;
    status: string;
    receivedAt: Date;
    updatedAt: Date;
    closedAt: Date | null;
    contact: Case['contact'];
    answers: Record<string, unknown>;
    location: Case['location'];
    updates: { at: Date; status: string | null; text: string | null }[];
  }[];
  subscriptions: { reference: string; title: string; since: string }[];
  savedForms: SavedFormEntry[];
  /** We keep only when the resident last signed in, not a history of every sign-in. */
  signIns: { lastSignedInAt: Date | null };
}

/** Cases read a page at a time for the download. */
const PAGE = 100;

/**
 * "Your data": everything held about a resident, to download, and deleting their account.
 * Their cases stay for the council's records, without their personal details. No HTTP here.
 */
export class MyDataService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly cases: CaseService,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async collect(accountId: number, savedForms: SavedFormEntry[]): Promise<ResidentData> {
    const row = await q.findAccountById(this.db, accountId);
    if (!row) throw new Error(`account ${String(accountId)} has gone`);
    // The account's id is ours, not something about the resident.
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { id: _id, ...account } = toProfile(row);
    const cases: Case[] = [];
    for (;;) {
      const page = await this.cases.listForAccount(accountId, {
        limit: PAGE,
        ...(cases.length ? { beforeId: cases[cases.length - 1]?.id ?? 0 } : {}),
      });
      cases.push(...page);
      if (page.length < PAGE) break;
    }
    return {
      downloadedAt: this.clock().toISOString(),
      account,
      cases: await Promise.all(
        cases.map(async (found) => ({
          reference: found.ref,
          type: CASE_KINDS[found.kind].noun,
          title: found.title,
          status: found.statusLabel,
          receivedAt: found.createdAt,
          updatedAt: found.updatedAt,
          closedAt: found.closedAt,
          contact: found.contact,
          answers: found.data,
          location: found.location,
          updates: (await publicTimeline(this.cases, found)).map((event) => ({
            at: event.createdAt,
            status: event.statusLabel ?? null,
            text: event.body,
          })),
        })),
      ),
      subscriptions: (await pq.subscriptionsOf(this.db, accountId, row.email)).map((sub) => ({
        reference: sub.ref,
        title: sub.title,
        since: sub.created_at,
      })),
      savedForms,
      signIns: { lastSignedInAt: account.lastSignedInAt },
    };
  }

  /**
   * Deletes the account once the resident has confirmed with their password (or, without one,
   * by typing DELETE_WORDS), in one transaction: their cases lose their contact details (also
   * as answers) and the account link (CaseService.removePersonalDetails), and their subscriptions, saved forms,
   * links and the account itself go. Every session of it ends, as it no longer exists.
   */
  async deleteAccount(accountId: number, confirmation: string): Promise<void> {
    const row = await q.findAccountById(this.db, accountId);
    if (!row) throw new Error(`account ${String(accountId)} has gone`);
    if (row.password_hash) {
      if (!confirmation) throw new ValidationError('Enter your password', 'confirmation');
      if (!(await verifyPassword(row.password_hash, confirmation)))
        throw new ValidationError('Your password is not right', 'confirmation');
    } else if (confirmation.trim().toLowerCase() !== DELETE_WORDS) {
      throw new ValidationError(`Type “${DELETE_WORDS}” to confirm`, 'confirmation');
    }
    await this.cases.transaction(async (cases, trx) => {
      await cases.removePersonalDetails(accountId, row.email, CONTACT_ANSWERS);
      await pq.deleteAccount(trx, accountId);
    });
  }
}
