import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The channels a resident can reach the council through (DESIGN.md §1). */
export const CHANNELS = ['web', 'app', 'chat', 'phone', 'face_to_face', 'email', 'api'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Development-only secret: production refuses to start with it. */
export const DEFAULT_SESSION_SECRET = 'shire-development-secret-change-me-in-production';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time like 08:30');
const pence = z.number().int('must be whole pence').nonnegative('must not be negative');
const position = z.tuple([
  z.number().min(-180).max(180, 'longitude must be between -180 and 180'),
  z.number().min(-90).max(90, 'latitude must be between -90 and 90'),
]);
const ring = z.array(position).min(4, 'a boundary ring needs at least 4 points');

const boundary = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1) }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(ring).min(1)).min(1) }),
]);
export type Boundary = z.infer<typeof boundary>;

/** A server on this machine, which may be reached over plain http (tests, a local proxy). */
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])$/;

const httpsUrl = z.string().url('must be a URL like https://example.org');

/** Another body that looks after some roads or places in the council's area, e.g. National Highways. */
const otherBody = z.object({
  name: z.string().min(2),
  /** What they look after, in a resident's words: "motorways and major A roads". */
  looksAfter: z.string().min(3),
  phone: z.string().min(5).optional(),
  url: httpsUrl.optional(),
  /** Road names or numbers as the gazetteer spells them, e.g. A36, M4. */
  roads: z.array(z.string().min(1)).default([]),
  /** Places they look after: a trunk road's corridor, a private estate. */
  areas: z.array(boundary).default([]),
});
export type OtherBody = z.infer<typeof otherBody>;

const reportingSchema = z
  .object({
    /** Street and postcode gazetteer (CSV, see docs/gazetteer.md), relative to council.yaml. */
    gazetteer: z.string().nullable().default(null),
    /** How far (metres) to look for the same problem already reported, unless a category says. */
    nearbyRadius: z.number().int().min(10).max(5000).default(250),
    /** Named parts of the area, for routing reports to local teams. */
    areas: z.array(z.object({ name: z.string().min(1), boundary })).default([]),
    otherBodies: z.array(otherBody).default([]),
  })
  .default({});

const mapSchema = z
  .object({
    /** Raster tile URL template for Leaflet; the tile server's origin is allowed in the CSP. */
    tiles: z
      .string()
      .regex(/^https?:\/\/[^/]+\/.*\{z\}.*\{x\}.*\{y\}/, 'must be a tile URL with {z}, {x} and {y}')
      .default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
    attribution: z.string().default('© OpenStreetMap contributors'),
  })
  .default({});

/** Live chat: the council's other websites that may embed it, and agents' canned replies. */
const chatSchema = z
  .object({
    /** e.g. https://www.westmoor-libraries.org.uk: origins only, no path. */
    origins: z
      .array(
        z
          .string()
          .url('must be a web address like https://www.example.gov.uk')
          .refine(
            (url) => new URL(url).origin === url,
            'must be an origin only, with no path or /',
          ),
      )
      .default([]),
    cannedReplies: z
      .array(z.object({ title: z.string().min(1).max(60), text: z.string().min(1).max(2000) }))
      .default([]),
  })
  .default({});

const jurisdictionId = z
  .string()
  .regex(/^[\w.-]{1,100}$/, 'must be letters, digits, dots and hyphens, like westmoor.gov.uk');

/**
 * Another Open311 (GeoReport v2) server that new reports are sent to: a contractor's system,
 * or the council's own back office. It takes the reports of its categories, in its areas
 * (either may be left out, not both). Its API key is a secret, so the file names the
 * environment variable that holds it, as every other secret here is set.
 */
const open311Endpoint = z
  .object({
    /** Short and fixed: it is stored against every report sent, so renaming it loses track of them. */
    id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a short lower-case name like ringway'),
    /** Its name for staff, on the case timeline: "Sent to Ringway Highways". */
    name: z.string().min(2),
    /** The base of its API, ending /open311/v2 or wherever its discovery puts it. */
    endpoint: z
      .string()
      .url('must be a URL like https://open311.example.org/open311/v2')
      .refine((url) => {
        const { protocol, hostname } = new URL(url);
        return protocol === 'https:' || (protocol === 'http:' && LOOPBACK_HOST.test(hostname));
      }, 'must be https:// (http:// only for a server on this machine)'),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, 'must name an environment variable, like OPEN311_RINGWAY_KEY'),
    jurisdictionId: jurisdictionId.optional(),
    /** Report It category codes it takes; empty for every category (in its areas). */
    categories: z.array(z.string().min(1)).default([]),
    /** Names of reporting.areas it takes; empty for the whole council area. */
    areas: z.array(z.string().min(1)).default([]),
    /** Its own service_code for a category, where it differs from ours. */
    serviceCodes: z.record(z.string().min(1)).default({}),
    /** How often its servicerequestupdates feed is read. */
    updatesEveryMinutes: z.number().int().min(1).max(1440).default(10),
  })
  .refine((e) => e.categories.length > 0 || e.areas.length > 0, {
    message: 'must list the categories or the areas it takes (or both)',
  });

/**
 * Open311: the jurisdiction_id callers may send (GeoReport v2; by default the public URL's
 * host name), and the other Open311 servers new reports are sent to.
 */
const open311Schema = z
  .object({
    jurisdictionId: jurisdictionId.optional(),
    sendTo: z.array(open311Endpoint).default([]),
  })
  .default({});

const councilSchema = z.object({
  name: z.string().min(3, 'must be the council’s full name'),
  shortName: z.string().min(2),
  brandColour: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a hex colour like #1d70b8')
    .refine((hex) => contrastWithWhite(hex) >= 4.5, {
      message:
        'must give white header text at least 4.5:1 contrast (WCAG AA); choose a darker colour',
    }),
  logo: z.string().nullable().default(null),
  contact: z.object({
    phone: z.string().min(5),
    email: z.string().email('must be an email address'),
    address: z.string().min(5),
  }),
  openingHours: z
    .array(z.object({ days: z.array(z.enum(DAYS)).min(1), opens: time, closes: time }))
    .default([]),
  unitCosts: z
    .object(Object.fromEntries(CHANNELS.map((c) => [c, pence])) as Record<Channel, typeof pence>)
    .partial()
    .default({}),
  boundary,
  map: mapSchema,
  reporting: reportingSchema,
  chat: chatSchema,
  open311: open311Schema,
});

const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  SHIRE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.string().url('must be a URL like https://www.westmoor.gov.uk').optional(),
  DATA_DIR: z.string().default('data'),
  COUNCIL_CONFIG: z.string().default('config/council.yaml'),
  SERVICES_DIR: z.string().default('config/services'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().optional(),
  // GOV.UK Notify: email and text messages through Notify instead of SMTP.
  NOTIFY_API_KEY: z
    .string()
    .regex(/^[\w-]+-[0-9a-f-]{36}-[0-9a-f-]{36}$/, 'must be a GOV.UK Notify API key')
    .optional(),
  NOTIFY_BASE_URL: z.string().url('must be a URL').optional(),
  NOTIFY_EMAIL_TEMPLATE_ID: z.string().uuid('must be a template id').optional(),
  NOTIFY_SMS_TEMPLATE_ID: z.string().uuid('must be a template id').optional(),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  SESSION_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .default(DEFAULT_SESSION_SECRET),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  IN_PROCESS_WORKER: booleanFlag.default('true'),
  MAINTENANCE_MODE: booleanFlag.default('false'),
  TRUST_PROXY: z
    .string()
    .regex(
      /^(true|false|\d+|[\w.:/,\s-]+)$/,
      'must be true, false, a hop count or a list of proxy addresses',
    )
    .default('loopback'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(300),
  /** Overrides council.yaml's map tiles, e.g. a local tile server in tests. */
  MAP_TILES_URL: z.string().url().optional(),
  /** Identity providers to sign in with, e.g. onelogin,entra; each is set by OIDC_<NAME>_* (oidcProviders below). */
  OIDC_PROVIDERS: z
    .string()
    .regex(
      /^[a-z][a-z0-9]*(,[a-z][a-z0-9]*)*$/,
      'must be short lower-case names separated by commas, like onelogin,entra',
    )
    .optional(),
});

export type Council = z.infer<typeof councilSchema> & {
  unitCosts: Record<Channel, number>;
};

/** An Open311 server reports are sent to, with its API key read from the environment. */
export type Open311Endpoint = Council['open311']['sendTo'][number] & { apiKey: string };

export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  publicUrl: string;
  /** Cookies get `Secure` whenever the public URL is https. */
  secureCookies: boolean;
  dataDir: string;
  /** The service catalogue: one YAML definition per service. */
  servicesDir: string;
  council: Council;
  /** Absolute path of the street gazetteer CSV, if the council configured one. */
  gazetteerPath: string | null;
  /** Absolute path of the council's logo file, if it configured one. */
  logoPath: string | null;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** GOV.UK Notify, when an API key is set: it sends email (instead of SMTP) and text messages. */
  notify:
    | {
        apiKey: string;
        baseUrl: string | undefined;
        emailTemplateId: string;
        smsTemplateId: string;
      }
    | undefined;
  /** How many outbox jobs one worker runs at once (sending is mostly waiting on the network). */
  workerConcurrency: number;
  sessionSecret: string;
  logLevel: string;
  inProcessWorker: boolean;
  maintenanceMode: boolean;
  rateLimitPerMinute: number;
  /** Which proxies may tell us the client's address and protocol (X-Forwarded-*). */
  trustProxy: boolean | string | ((address: string, hop: number) => boolean);
  /** OpenID Connect providers people can sign in with, in the order OIDC_PROVIDERS lists them. */
  oidcProviders: OidcProvider[];
  /** Other Open311 servers new reports are sent to (council.yaml open311.sendTo), in its order. */
  open311SendTo: Open311Endpoint[];
}

/** Default unit costs in pence per transaction (Socitm: web £0.15, phone £2.83, face to face £8.62). */
export const DEFAULT_UNIT_COSTS: Record<Channel, number> = {
  web: 15,
  app: 15,
  api: 15,
  chat: 100,
  email: 150,
  phone: 283,
  face_to_face: 862,
};

/** A bad setting: the message is one line naming the key and what is wrong with it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const vars = envSchema.safeParse(env);
  if (!vars.success) throw new ConfigError(describe('environment variable', vars.error));
  const e = vars.data;

  const councilFile = path.resolve(e.COUNCIL_CONFIG);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(councilFile, 'utf8'));
  } catch (err) {
    throw new ConfigError(`COUNCIL_CONFIG: cannot read ${councilFile}: ${(err as Error).message}`);
  }
  const council = councilSchema.safeParse(raw);
  if (!council.success) throw new ConfigError(describe(path.basename(councilFile), council.error));
  const sendToProblem = checkSendTo(council.data);
  if (sendToProblem) throw new ConfigError(`${path.basename(councilFile)} ${sendToProblem}`);

  if (e.SHIRE_ENV === 'production') {
    if (e.SESSION_SECRET === DEFAULT_SESSION_SECRET)
      throw new ConfigError(
        'SESSION_SECRET: production refuses the default secret; set a random one',
      );
    if (!e.PUBLIC_URL?.startsWith('https://'))
      throw new ConfigError('PUBLIC_URL: production needs the https:// address residents use');
  }

  if (e.NOTIFY_API_KEY && (!e.NOTIFY_EMAIL_TEMPLATE_ID || !e.NOTIFY_SMS_TEMPLATE_ID))
    throw new ConfigError(
      'NOTIFY_API_KEY: also set NOTIFY_EMAIL_TEMPLATE_ID and NOTIFY_SMS_TEMPLATE_ID (see docs/notifications.md)',
    );

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  return {
    env: e.SHIRE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    secureCookies: publicUrl.startsWith('https://'),
    dataDir: path.resolve(e.DATA_DIR),
    servicesDir: path.resolve(e.SERVICES_DIR),
    council: {
      ...council.data,
      unitCosts: { ...DEFAULT_UNIT_COSTS, ...council.data.unitCosts },
      map: { ...council.data.map, tiles: e.MAP_TILES_URL ?? council.data.map.tiles },
    },
    gazetteerPath: council.data.reporting.gazetteer
      ? path.resolve(path.dirname(councilFile), council.data.reporting.gazetteer)
      : null,
    logoPath: council.data.logo ? path.resolve(path.dirname(councilFile), council.data.logo) : null,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? `${council.data.name} <${council.data.contact.email}>`,
    notify:
      e.NOTIFY_API_KEY && e.NOTIFY_EMAIL_TEMPLATE_ID && e.NOTIFY_SMS_TEMPLATE_ID
        ? {
            apiKey: e.NOTIFY_API_KEY,
            baseUrl: e.NOTIFY_BASE_URL,
            emailTemplateId: e.NOTIFY_EMAIL_TEMPLATE_ID,
            smsTemplateId: e.NOTIFY_SMS_TEMPLATE_ID,
          }
        : undefined,
    workerConcurrency: e.WORKER_CONCURRENCY,
    sessionSecret: e.SESSION_SECRET,
    logLevel: e.LOG_LEVEL,
    inProcessWorker: e.IN_PROCESS_WORKER,
    maintenanceMode: e.MAINTENANCE_MODE,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    oidcProviders: parseOidcProviders(env, e.OIDC_PROVIDERS),
    open311SendTo: withApiKeys(council.data.open311.sendTo, env, path.basename(councilFile)),
  };
}

/** What one setting of open311.sendTo cannot check alone: unique ids, and areas that exist. */
function checkSendTo(council: z.infer<typeof councilSchema>): string | undefined {
  const areas = council.reporting.areas.map((a) => a.name);
  const ids = new Set<string>();
  for (const [index, endpoint] of council.open311.sendTo.entries()) {
    const at = `open311.sendTo.${String(index)}`;
    if (ids.has(endpoint.id)) return `${at}.id: ${endpoint.id} is used twice`;
    ids.add(endpoint.id);
    for (const [i, area] of endpoint.areas.entries())
      if (!areas.includes(area))
        return `${at}.areas.${String(i)}: "${area}" is not one of reporting.areas (${areas.join(', ') || 'none'})`;
  }
  return undefined;
}

/** Each endpoint with the key its apiKeyEnv names; an unset one stops the start, naming both. */
function withApiKeys(
  endpoints: Council['open311']['sendTo'],
  env: NodeJS.ProcessEnv,
  file: string,
): Open311Endpoint[] {
  return endpoints.map((endpoint, index) => {
    const apiKey = env[endpoint.apiKeyEnv]?.trim();
    if (!apiKey)
      throw new ConfigError(
        `${file} open311.sendTo.${String(index)}.apiKeyEnv: set environment variable ${endpoint.apiKeyEnv} to ${endpoint.name}'s API key`,
      );
    return { ...endpoint, apiKey };
  });
}

/** Fastify's trustProxy: a boolean, a hop count, or addresses/CIDRs/'loopback' as a comma list. */
function parseTrustProxy(value: string): Config['trustProxy'] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value;
}

// ---- OpenID Connect providers ----------------------------------------------------------------

/** An OpenID Connect identity provider to sign in with, e.g. GOV.UK One Login or Entra ID. */
export interface OidcProvider {
  /** Its name in OIDC_PROVIDERS, and in its callback path /account/sign-in/oidc/<id>/callback. */
  id: string;
  /** Its name for people, on the button: "Sign in with GOV.UK One Login". */
  name: string;
  /** Issuer URL: its discovery document is at <issuer>/.well-known/openid-configuration. */
  issuer: string;
  clientId: string;
  /**
   * How this site proves itself at the token endpoint: a client secret, or a private key that
   * signs a client assertion (private_key_jwt, which GOV.UK One Login requires).
   */
  credential: { clientSecret: string } | { privateKeyPem: string };
  /**
   * The council's own identity provider (Entra ID, say), which enforces its own multi-factor
   * sign-in: staff who sign in with it need not also use Shire's two-factor (oidc.ts decides
   * when a sign-in counts). OIDC_<ID>_STAFF=true; false unless set.
   */
  trustedForStaff: boolean;
}

/** Each provider's settings, OIDC_<ID>_ISSUER and so on, validated one variable at a time. */
function parseOidcProviders(env: NodeJS.ProcessEnv, list: string | undefined): OidcProvider[] {
  const ids = list ? list.split(',') : [];
  const read = <T>(key: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): T => {
    const value = schema.safeParse(env[key]);
    if (!value.success)
      throw new ConfigError(
        `environment variable ${key}: ${value.error.issues[0]?.message ?? 'is invalid'}`,
      );
    return value.data;
  };
  const required = (what: string) =>
    z.string({ required_error: `must be set to the provider's ${what}` }).min(1);
  return ids.map((id, index) => {
    if (ids.indexOf(id) !== index)
      throw new ConfigError(`environment variable OIDC_PROVIDERS: lists ${id} twice`);
    const key = `OIDC_${id.toUpperCase()}_`;
    return {
      id,
      name: read(`${key}NAME`, required('name for people, like GOV.UK One Login')),
      issuer: read(
        `${key}ISSUER`,
        required('issuer URL')
          .url('must be a URL like https://oidc.account.gov.uk/')
          .refine((url) => {
            const { protocol, hostname } = new URL(url);
            return protocol === 'https:' || (protocol === 'http:' && LOOPBACK_HOST.test(hostname));
          }, 'must be https:// (http:// only for a provider on this machine)'),
      ),
      clientId: read(`${key}CLIENT_ID`, required('client id for this site')),
      credential:
        env[`${key}PRIVATE_KEY`] === undefined
          ? {
              clientSecret: read(
                `${key}CLIENT_SECRET`,
                required(`client secret for this site (or set ${key}PRIVATE_KEY)`),
              ),
            }
          : {
              privateKeyPem: read(
                `${key}PRIVATE_KEY`,
                z
                  .string()
                  // One line in an environment file: the PEM's line breaks may be written \n.
                  .transform((pem) => pem.replace(/\\n/g, '\n'))
                  .refine(
                    isSigningKey,
                    'must be a PEM private key, RSA or EC P-256 (-----BEGIN PRIVATE KEY-----…)',
                  ),
              ),
            },
      trustedForStaff: read(`${key}STAFF`, booleanFlag.default('false')),
    };
  });
}

/** Keys openid-client can sign a private_key_jwt client assertion with (RS256 or ES256). */
function isSigningKey(pem: string): boolean {
  try {
    const key = createPrivateKey(pem);
    return (
      key.asymmetricKeyType === 'rsa' ||
      (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    );
  } catch {
    return false;
  }
}

function describe(source: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const key = issue?.path.join('.') || '(root)';
  return `${source} ${key}: ${issue?.message ?? 'is invalid'}`;
}

/** WCAG relative-luminance contrast ratio of a #rrggbb colour against white. */
export function contrastWithWhite(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (luminance + 0.05);
}
