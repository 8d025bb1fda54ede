import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * "Near here" reads only these indexes: a geohash range picks the place, and the columns
 * after it (exact position, kind, status) let the database drop what is outside the box or
 * filtered out without reading the case itself. One leads with the category, for the
 * duplicate check and the filtered public list; one with the geohash, for everything else.
 * The id comes last because PostgreSQL, unlike SQLite, keeps no row id in an index.
 */
export const casesNearIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('cases_geohash').execute();
    await db.schema
      .createIndex('cases_near')
      .on('cases')
      .columns(['geohash', 'lat', 'lng', 'kind', 'status', 'id'])
      .execute();
    await db.schema
      .createIndex('cases_near_service')
      .on('cases')
      .columns(['service_code', 'geohash', 'lat', 'lng', 'kind', 'status', 'id'])
      .execute();
  },
};
