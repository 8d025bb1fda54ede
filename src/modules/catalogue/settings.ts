import type { Kysely } from 'kysely';
import type { Bus } from '../../platform/bus/bus.js';
import { CHANNELS, type Channel } from '../../platform/config.js';
import type { DB } from '../../platform/db/types.js';
import type { CatalogueService } from './service.js';

/** Told to every app node when an administrator changes a setting, so each reloads. */
export const SETTINGS_TOPIC = 'catalogue.settings';

interface ServiceValues {
  team: string;
  slaDays: number;
}

/**
 * What administrators change over the council's files: a service's team and SLA, and the
 * cost of a transaction on each channel. The catalogue in memory is updated on every node
 * (through the bus), so new cases route to the new team and get the new due date at once.
 */
export class ServiceSettings {
  /** The files' values, to show beside an administrator's and to go back to. */
  private readonly fromFiles = new Map<string, ServiceValues>();
  private costs: Record<Channel, number>;
  private bus: Bus | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly catalogue: CatalogueService,
    private readonly fileCosts: Record<Channel, number>,
    private readonly clock: () => Date = () => new Date(),
  ) {
    for (const service of catalogue.services)
      this.fromFiles.set(service.code, { team: service.team, slaDays: service.sla.days });
    this.costs = { ...fileCosts };
  }

  /** Applies what is stored to the catalogue in memory; run at start and when told of a change. */
  async load(): Promise<void> {
    const [services, costs] = await Promise.all([
      this.db.selectFrom('service_settings').selectAll().execute(),
      this.db.selectFrom('unit_costs').selectAll().execute(),
    ]);
    const chosen = new Map(services.map((row) => [row.service_code, row]));
    for (const service of this.catalogue.services) {
      const file = this.fromFiles.get(service.code);
      const row = chosen.get(service.code);
      if (!file) continue;
      service.team = row?.team ?? file.team;
      service.sla.days = row?.sla_days ?? file.slaDays;
    }
    this.costs = { ...this.fileCosts };
    for (const row of costs)
      if ((CHANNELS as readonly string[]).includes(row.channel))
        this.costs[row.channel as Channel] = row.pence;
  }

  /** A service's team and SLA now, and what the catalogue file says. */
  describe(code: string): { now: ServiceValues; file: ServiceValues } | undefined {
    const service = this.catalogue.byCode(code);
    const file = this.fromFiles.get(code);
    if (!service || !file) return undefined;
    return { now: { team: service.team, slaDays: service.sla.days }, file };
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
