import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import type { Config } from './platform/config.js';

/** Builds the app, listens, and on SIGTERM/SIGINT finishes in-flight requests and jobs before exiting. */
export async function start(config: Config): Promise<void> {
  const app = await buildApp(config);
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    await app.close();
  });
  await app.listen({ host: config.host, port: config.port });
  app.log.info(`${config.council.name} is on ${config.publicUrl}`);
}
