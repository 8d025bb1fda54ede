import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import type { Config } from '../../platform/config.js';
import { APP_ICONS, type AssetManifest } from '../../platform/views/assets.js';
import type { Shell } from '../../web/sw.js';
import { describeOpeningHours } from '../help/opening-hours.js';

/** Where the installed app opens. */
export const APP_START_URL = '/report';
export const OFFLINE_URL = '/offline';
const SHELL_CACHE_PREFIX = 'shire-shell-';

/**
 * The Report It app: the same pages, installable on a phone's home screen. This module
 * serves what makes them an app: the web app manifest, the service worker (which must
 * come from the root to control every page) and the page shown when there is no signal.
 */
export async function mobileAppModule(
  app: FastifyInstance,
  { config, assets }: ModuleOptions,
): Promise<void> {
  const manifest = JSON.stringify(webAppManifest(config, assets));
  app.get('/manifest.webmanifest', (_request, reply) =>
    reply
      .type('application/manifest+json; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(manifest),
  );

  const serviceWorker = await serviceWorkerScript(assets);
  app.get('/sw.js', (_request, reply) =>
    // no-cache: the browser must ask each time, or a new version would wait for the old to expire.
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(serviceWorker),
  );

  app.staticPage(OFFLINE_URL, 'mobile-app/views/offline.njk', {
    pageTitle: 'You are offline',
    openingHours: describeOpeningHours(config.council.openingHours),
  });
}

function webAppManifest(config: Config, assets: AssetManifest) {
  const { name, shortName, brandColour } = config.council;
  return {
    // Fixed, so the app stays the same installed app if its start page moves.
    id: '/',
    name,
    short_name: shortName,
    description: `Report a problem to ${name} and follow its progress.`,
    lang: 'en-GB',
    start_url: APP_START_URL,
    scope: '/',
    display: 'standalone',
    theme_color: brandColour,
    background_color: brandColour,
    icons: APP_ICONS.filter((icon) => icon.purpose !== 'apple-touch').map((icon) => ({
      src: assets.url(icon.logical),
      sizes: `${icon.size}x${icon.size}`,
      type: 'image/png',
      purpose: icon.purpose,
    })),
  };
}

/**
 * The built worker with its shell list in front. The cache is named after the list and
 * the worker, so any change to either is a new version that replaces the old cache.
 */
async function serviceWorkerScript(assets: AssetManifest): Promise<string> {
  const code = await readFile(path.join(assets.dir, path.basename(assets.url('sw.js'))), 'utf8');
  const urls = [
    assets.url('app.css'),
    assets.url('app.js'),
    assets.url('logo'),
    assets.url('favicon.svg'),
    ...APP_ICONS.map((icon) => assets.url(icon.logical)),
    OFFLINE_URL,
  ];
  const version = createHash('sha256')
    .update(JSON.stringify(urls))
    .update(code)
    .digest('hex')
    .slice(0, 12);
  const shell: Shell = {
    cache: SHELL_CACHE_PREFIX + version,
    cachePrefix: SHELL_CACHE_PREFIX,
    urls,
    offlineUrl: OFFLINE_URL,
  };
  return `self.shireShell=${JSON.stringify(shell)};\n${code}`;
}
