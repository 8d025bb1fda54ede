import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * pino JSON logs, always (never switched on NODE_ENV). Personal data is redacted wherever
 * it may appear: contact details, exact locations, cookies, tokens and request bodies.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: {
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'res.headers["set-cookie"]',
        '*.email',
        '*.contact_email',
        '*.phone',
        '*.contact_phone',
        '*.name',
        '*.contact_name',
        '*.address',
        '*.lat',
        '*.lng',
        '*.location',
        '*.password',
        '*.token',
        '*.body',
      ],
      censor: '[redacted]',
    },
    serializers: {
      // The path only: query strings can carry postcodes, emails and references.
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
