import type { Kysely } from 'kysely';
import type { Bus } from '../../platform/bus/bus.js';
import { CHANNELS, type Channel } from '../../platform/config.js';
import type { DB } from '../../platform/db/types.js';
import { CatalogueError, parseService, type ServiceDefinition } from './definition.js';
import type { CatalogueService } from './service.js';

/** Told to every app node when an administrator changes a setting, so each reloads. */
export const SETTINGS_TOPIC = 'catalogue.settings';

interface ServiceValues {
  team: string;
  slaDays: number;
}

/**
 * What administrators change over the council's files: report categories (made, changed or
 * retired), a service's team and SLA, and the cost of a transaction on each channel. The
 * catalogue in memory is rebuilt on every node (through the bus), so new cases route to the
 * new team, get the new due date and ask the new questions at once.
 */
export class ServiceSettings {
  private costs: Record<Channel, number>;
  private bus: Bus | undefined;
  /** Stored definitions that no longer pass the catalogue's checks, so are not used. */
  problems: string[] = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly catalogue: CatalogueService,
    private readonly fileCosts: Record<Channel, number>,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.costs = { ...fileCosts };
  }

  /** Applies what is stored to the catalogue in memory; run at start and when told of a change. */
  async load(): Promise<void> {
    const [definitions, services, costs] = await Promise.all([
      this.db.selectFrom('service_definitions').selectAll().execute(),
      this.db.selectFrom('service_settings').selectAll().execute(),
      this.db.selectFrom('unit_costs').selectAll().execute(),
    ]);
    // Checked again, as a file is: a definition saved under older rules is reported, not used.
    const valid: ServiceDefinition[] = [];
    this.problems = [];
    for (const row of definitions) {
      try {
        valid.push(parseService(JSON.parse(row.definition), row.service_code));
      } catch (err) {
        if (!(err instanceof CatalogueError || err instanceof SyntaxError)) throw err;
        this.problems.push(err.message);
      }
    }
    this.catalogue.rebuild(
      valid,
      new Set(definitions.filter((row) => row.retired_at !== null).map((row) => row.service_code)),
    );
    const chosen = new Map(services.map((row) => [row.service_code, row]));
    for (const service of this.catalogue.everyService()) {
      const row = chosen.get(service.code);
      if (!row) continue;
      service.team = row.team;
      service.sla.days = row.sla_days;
    }
    this.costs = { ...this.fileCosts };
    for (const row of costs)
      if ((CHANNELS as readonly string[]).includes(row.channel))
        this.costs[row.channel as Channel] = row.pence;
  }

  /** A service's team and SLA now, and what its definition (file or category) says. */
  describe(code: string): { now: ServiceValues; file: ServiceValues } | undefined {
    const service = this.catalogue.byCode(code);
    const base = this.catalogue.base(code);
    if (!service || !base) return undefined;
    return {
      now: { team: service.team, slaDays: service.sla.days },
      file: { team: base.team, slaDays: base.sla.days },
    };
  }

  async setService(code: string, values: ServiceValues): Promise<void> {
    const now = this.clock().toISOString();
    await this.db
      .insertInto('service_settings')
      .values({ service_code: code, team: values.team, sla_days: values.slaDays, updated_at: now })
      .onConflict((oc) =>
        oc.column('service_code').doUpdateSet({
          team: values.team,
          sla_days: values.slaDays,
          updated_at: now,
        }),
      )
      .execute();
    await this.changed();
  }

  /**
   * Stores an administrator's definition of a service (checked first, so a bad one is never
   * stored) and whether it is retired; every node then uses it.
   */
  async setDefinition(definition: ServiceDefinition, retired: boolean): Promise<void> {
    const checked = parseService(definition, definition.code);
    const now = this.clock().toISOString();
    const values = {
      definition: JSON.stringify(checked),
      retired_at: retired ? now : null,
      updated_at: now,
    };
    await this.db
      .insertInto('service_definitions')
      .values({ service_code: checked.code, ...values })
      .onConflict((oc) => oc.column('service_code').doUpdateSet(values))
      .execute();
    await this.changed();
  }

  unitCosts(): Record<Channel, number> {
    return { ...this.costs };
  }

  async setUnitCosts(costs: Record<Channel, number>): Promise<void> {
    const now = this.clock().toISOString();
    await this.db.transaction().execute(async (trx) => {
      for (const channel of CHANNELS)
        await trx
          .insertInto('unit_costs')
          .values({ channel, pence: costs[channel], updated_at: now })
          .onConflict((oc) =>
            oc.column('channel').doUpdateSet({ pence: costs[channel], updated_at: now }),
          )
          .execute();
    });
    await this.changed();
  }

  /** Loads the settings, and reloads whenever any node changes one (an app node's start). */
  async listen(bus: Bus, onError: (err: unknown) => void): Promise<void> {
    this.bus = bus;
    await bus.subscribe(SETTINGS_TOPIC, () => {
      this.load().catch(onError);
    });
    await this.load();
  }

  private async changed(): Promise<void> {
    await this.load();
    await this.bus?.publish(SETTINGS_TOPIC, { at: this.clock().toISOString() });
  }
}
