import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Database } from '../src/platform/db/database.js';
import type { DB } from '../src/platform/db/types.js';

const run = promisify(execFile);

function withoutDatabaseUrl(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return env;
}

/** The shire command, as an operator runs it, on its own SQLite database. */
function shire(dataDir: string, ...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    // SQLite in its own folder, whatever database the test run was given.
    env: { ...withoutDatabaseUrl(), DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: unknown) => err as { code: number; stdout: string; stderr: string },
  );
}

await test('shire staff makes the first administrator, and refuses what it cannot do', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shire-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));

  const made = await shire(dataDir, 'staff', 'Ana@Westmoor.example.gov.uk', 'admin');
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /has a new admin account\. They have been emailed a link/);

  const noTeam = await shire(dataDir, 'staff', 'sam@westmoor.example.gov.uk', 'officer');
  assert.equal(noTeam.code, 1);
  assert.match(noTeam.stderr, /^shire: staff: an officer works a team's cases/);
  const badTeam = await shire(
    dataDir,
    'staff',
    'sam@westmoor.example.gov.uk',
    'officer',
    'Nowhere',
  );
  assert.match(badTeam.stderr, /there is no team "Nowhere"\. Teams: .*Highways/);
  const badRole = await shire(dataDir, 'staff', 'sam@westmoor.example.gov.uk', 'boss');
  assert.match(badRole.stderr, /say who and what/);
  const officer = await shire(
    dataDir,
    'staff',
    'sam@westmoor.example.gov.uk',
    'officer',
    'Highways',
    'Drainage',
  );
  assert.equal(officer.code, 0, officer.stderr);

  const database = Database.open<DB>({ url: undefined, file: path.join(dataDir, 'shire.db') });
  t.after(() => database.close());
  const accounts = await database.db
    .selectFrom('accounts')
    .select(['email', 'role', 'team'])
    .orderBy('id')
    .execute();
  assert.deepEqual(accounts, [
    { email: 'ana@westmoor.example.gov.uk', role: 'admin', team: null },
    { email: 'sam@westmoor.example.gov.uk', role: 'officer', team: 'Highways Drainage' },
  ]);
  const audit = await database.db
    .selectFrom('audit_log')
    .select(['action', 'actor_name'])
    .execute();
  assert.deepEqual(
    audit.map((a) => a.action),
    ['staff.create', 'staff.create'],
  );
  const invites = await database.db.selectFrom('deliveries').select('recipient').execute();
  assert.equal(invites.length, 2, 'each new member of staff is emailed a link');
});
