import path from 'node:path';
import { sql } from 'kysely';
import { createServices, openDatabase } from './app.js';
import { seedDemo } from './demo.js';
import { createSenders, jobHandlers } from './jobs.js';
import { start } from './main.js';
import { audit } from './modules/backoffice/audit.js';
import { STAFF_ROLES } from './modules/backoffice/roles.js';
import { CatalogueError } from './modules/catalogue/definition.js';
import { ConfigError, loadConfig, type Config } from './platform/config.js';
import { migrateToLatest } from './platform/db/migrations/index.js';
import { createLogger } from './platform/logger.js';
import { Worker } from './platform/outbox/worker.js';
import closeWithGrace from 'close-with-grace';

const USAGE = `Usage: shire <command>

  start [--demo]   serve the platform (with --demo: seed the demo council's data first)
  worker           run outbox jobs (notifications) in this process; run as many as you like
  migrate          bring the database schema up to date
  seed-demo        add the demo council's cases (once; running it again changes nothing)
  backup FILE      copy the SQLite database to FILE while it is in use
  staff EMAIL ROLE [TEAM]
                   give someone back-office access: ROLE is agent, officer, lead or admin
                   (officer and lead need a TEAM), or resident to take it away. Someone new
                   is emailed a link to choose a password. This is how the first
                   administrator is made; after that, administrators use /staff/admin/staff.
`;

async function withDatabase<T>(
  config: Config,
  work: (database: ReturnType<typeof openDatabase>) => Promise<T>,
): Promise<T> {
  const database = openDatabase(config);
  try {
    await migrateToLatest(database);
    return await work(database);
  } finally {
    await database.close();
  }
}

async function seed(config: Config): Promise<number> {
  return withDatabase(config, (database) => seedDemo(database.db));
}

async function run(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  switch (command) {
    case 'start':
      if (args.includes('--demo')) logger.info(`demo data: ${await seed(config)} cases added`);
      await start(config);
      return;
    case 'migrate': {
      const ran = await withDatabase(config, (database) => migrateToLatest(database));
      console.log(ran.length ? `Ran ${ran.join(', ')}` : 'The database is up to date.');
      return;
    }
    case 'seed-demo':
      console.log(`Added ${await seed(config)} demo cases.`);
      return;
    case 'worker': {
      const database = openDatabase(config);
      await migrateToLatest(database);
      const services = createServices(database, config);
      const senders = createSenders({ config, services, database, logger });
      const worker = new Worker(database, {
        handlers: jobHandlers({ config, services, database, logger, senders }),
        logger,
        concurrency: config.workerConcurrency,
      });
      await services.open311RemoteUpdates.schedule();
      worker.start();
      logger.info(`outbox worker ${worker.id} started`);
      closeWithGrace({ delay: 30_000 }, async () => {
        await worker.stop();
        senders.close();
        await database.close();
      });
      return;
    }
    case 'backup': {
      const target = args[0];
      if (!target)
        throw new ConfigError(
          'backup: say where to write the copy, e.g. shire backup backups/shire.db',
        );
      if (config.databaseUrl)
        throw new ConfigError('backup: on PostgreSQL use pg_dump, which knows your server best');
      await withDatabase(config, async (database) => {
        // VACUUM INTO makes a consistent copy without stopping readers or writers.
        await sql`vacuum into ${path.resolve(target)}`.execute(database.db);
      });
      console.log(`Copied the database to ${path.resolve(target)}`);
      return;
    }
    case 'staff': {
      const [email = '', role = '', ...words] = args;
      const team = words.join(' ') || null;
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || ![...STAFF_ROLES, 'resident'].includes(role))
        throw new ConfigError(
          'staff: say who and what, e.g. shire staff ana@westmoor.gov.uk admin, or shire staff sam@westmoor.gov.uk officer Highways',
        );
      if ((role === 'officer' || role === 'lead') && !team)
        throw new ConfigError(
          `staff: ${role === 'officer' ? 'an officer' : 'a team lead'} works a team's cases: name the team after the role`,
        );
      await withDatabase(config, async (database) => {
        const services = createServices(database, config);
        const teams = services.backOffice.teams();
        if (team && !teams.includes(team))
          throw new ConfigError(`staff: there is no team "${team}". Teams: ${teams.join(', ')}`);
        const { accountId, before } = await services.accounts.setStaffRole({
          name: email.split('@')[0] ?? email,
          email,
          role,
          team: role === 'admin' || role === 'resident' ? null : team,
        });
        await audit(database.db, {
          actor: { id: null, name: 'shire staff (command line)' },
          action: before ? 'staff.role' : 'staff.create',
          target: { type: 'account', id: String(accountId) },
          before,
          after: { email: email.toLowerCase(), role, team },
        });
        console.log(
          before
            ? `${email} now has the role ${role}. They have been told by email.`
            : `${email} has a new ${role} account. They have been emailed a link to choose a password (in development, read it at /dev/mailbox).`,
        );
      });
      return;
    }
    default:
      console.error(USAGE);
      process.exitCode = command ? 2 : 0;
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  // A bad setting is one line naming the key and what is wrong, not a stack trace.
  if (err instanceof ConfigError || err instanceof CatalogueError)
    console.error(`shire: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
