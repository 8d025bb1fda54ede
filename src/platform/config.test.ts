import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { ConfigError, DEFAULT_UNIT_COSTS, contrastWithWhite, loadConfig } from './config.js';

/** A copy of the demo council's file with some keys changed. */
function councilFile(changes: Record<string, unknown>): string {
  const council = {
    ...(parse(readFileSync('config/council.yaml', 'utf8')) as Record<string, unknown>),
    ...changes,
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'shire-config-')), 'council.yaml');
  writeFileSync(file, stringify(council));
  return file;
}

function failure(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return err.message;
  }
  assert.fail('expected the config to be refused');
}

await test('config', async (t) => {
  await t.test('the demo council loads with the default unit costs', () => {
    const config = loadConfig({});
    assert.equal(config.council.name, 'Westmoor County Council');
    assert.equal(config.council.unitCosts.web, 15);
    assert.equal(config.council.unitCosts.phone, 283);
    assert.equal(config.council.unitCosts.face_to_face, 862);
    assert.deepEqual(DEFAULT_UNIT_COSTS.web, 15);
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.secureCookies, false);
  });

  await t.test('unit costs the council leaves out fall back to the defaults', () => {
    const config = loadConfig({ COUNCIL_CONFIG: councilFile({ unitCosts: { phone: 300 } }) });
    assert.equal(config.council.unitCosts.phone, 300);
    assert.equal(config.council.unitCosts.face_to_face, 862);
  });

  await t.test('a bad value stops start-up with one line naming the key', () => {
    assert.equal(
      failure({ PORT: 'eighty' }),
      'environment variable PORT: Expected number, received nan',
    );
    assert.match(
      failure({ DATABASE_URL: 'mysql://x' }),
      /^environment variable DATABASE_URL: must be a postgres:\/\/ URL$/,
    );
    assert.match(
      failure({ IN_PROCESS_WORKER: 'maybe' }),
      /IN_PROCESS_WORKER: must be true or false/,
    );
    assert.match(
      failure({ COUNCIL_CONFIG: councilFile({ brandColour: 'green' }) }),
      /^council\.yaml brandColour: must be a hex colour like #1d70b8$/,
    );
    assert.match(
      failure({ COUNCIL_CONFIG: councilFile({ brandColour: '#ffdd00' }) }),
      /brandColour: must give white header text at least 4\.5:1/,
    );
    assert.match(
      failure({ COUNCIL_CONFIG: councilFile({ unitCosts: { phone: 2.83 } }) }),
      /unitCosts\.phone: must be whole pence/,
    );
    assert.match(
      failure({
        COUNCIL_CONFIG: councilFile({
          openingHours: [{ days: ['mon'], opens: '8.30', closes: '17:00' }],
        }),
      }),
      /openingHours\.0\.opens: must be a 24-hour time like 08:30/,
    );
    assert.match(
      failure({
        COUNCIL_CONFIG: councilFile({ boundary: { type: 'Point', coordinates: [0, 0] } }),
      }),
      /council\.yaml boundary/,
    );
    assert.match(
      failure({ COUNCIL_CONFIG: '/nowhere/council.yaml' }),
      /^COUNCIL_CONFIG: cannot read \/nowhere\/council\.yaml/,
    );
  });

  await t.test('production refuses the default secret and plain http', () => {
    assert.match(
      failure({ SHIRE_ENV: 'production', PUBLIC_URL: 'https://www.westmoor.gov.uk' }),
      /^SESSION_SECRET: production refuses the default secret/,
    );
    const secret = 'a'.repeat(40);
    assert.match(
      failure({ SHIRE_ENV: 'production', SESSION_SECRET: secret }),
      /^PUBLIC_URL: production needs the https/,
    );
    const config = loadConfig({
      SHIRE_ENV: 'production',
      SESSION_SECRET: secret,
      PUBLIC_URL: 'https://www.westmoor.gov.uk/',
    });
    assert.equal(config.secureCookies, true);
    assert.equal(config.publicUrl, 'https://www.westmoor.gov.uk');
  });

  await t.test('Open311 servers to send reports to, each with its key from the environment', () => {
    const ringway = {
      id: 'ringway',
      name: 'Ringway Highways',
      endpoint: 'https://open311.ringway.example/open311/v2',
      apiKeyEnv: 'OPEN311_RINGWAY_KEY',
      categories: ['report-a-pothole'],
      areas: ['North'],
      serviceCodes: { 'report-a-pothole': 'POT' },
    };
    const withServers = (...sendTo: Record<string, unknown>[]) =>
      councilFile({ open311: { sendTo } });
    const config = loadConfig({
      COUNCIL_CONFIG: withServers(ringway),
      OPEN311_RINGWAY_KEY: 'secret-key',
    });
    assert.deepEqual(config.open311SendTo, [
      { ...ringway, apiKey: 'secret-key', updatesEveryMinutes: 10 },
    ]);
    assert.deepEqual(loadConfig({}).open311SendTo, []);

    assert.equal(
      failure({ COUNCIL_CONFIG: withServers(ringway) }),
      "council.yaml open311.sendTo.0.apiKeyEnv: set environment variable OPEN311_RINGWAY_KEY to Ringway Highways's API key",
    );
    const refused = (changes: Record<string, unknown>, ...more: Record<string, unknown>[]) =>
      failure({
        COUNCIL_CONFIG: withServers({ ...ringway, ...changes }, ...more),
        OPEN311_RINGWAY_KEY: 'k',
      });
    assert.equal(
      refused({ areas: ['East'] }),
      'council.yaml open311.sendTo.0.areas.0: "East" is not one of reporting.areas (North, South)',
    );
    assert.equal(
      refused({ categories: [], areas: [] }),
      'council.yaml open311.sendTo.0: must list the categories or the areas it takes (or both)',
    );
    assert.equal(
      refused({ endpoint: 'http://open311.ringway.example/open311/v2' }),
      'council.yaml open311.sendTo.0.endpoint: must be https:// (http:// only for a server on this machine)',
    );
    assert.equal(refused({}, ringway), 'council.yaml open311.sendTo.1.id: ringway is used twice');
    assert.equal(
      refused({ apiKeyEnv: 'ringway key' }),
      'council.yaml open311.sendTo.0.apiKeyEnv: must name an environment variable, like OPEN311_RINGWAY_KEY',
    );
    // A server on this machine may be plain http: a test's, or a local proxy.
    const local = loadConfig({
      COUNCIL_CONFIG: withServers({ ...ringway, endpoint: 'http://127.0.0.1:8311/open311/v2' }),
      OPEN311_RINGWAY_KEY: 'k',
    });
    assert.equal(local.open311SendTo[0]?.endpoint, 'http://127.0.0.1:8311/open311/v2');
  });

  await t.test('contrast is measured as WCAG does', () => {
    assert.equal(Math.round(contrastWithWhite('#000000') * 10) / 10, 21);
    assert.equal(Math.round(contrastWithWhite('#ffffff') * 10) / 10, 1);
    assert.ok(contrastWithWhite('#1d70b8') > 4.5);
  });
});
