/**
 * Configuration from the environment, validated at boot (DESIGN.md, "External interface").
 * Every setting is prefixed `CARECIRCLE_`; a bad value stops start-up with a message that names
 * the variable.
 */
import { join, resolve } from 'node:path';
import { PROCESS_ROLES } from '@carecircle/protocol';
import { DEVICE_KEY_FILE } from './auth/device-secrets';

/**
 * What a process runs (`CARECIRCLE_ROLE`): `all` (the default) the gateway, the consumers and the
 * HTTP API in one process; `gateway` only MQTT intake (stateless: any gateway accepts any device,
 * behind a TCP load balancer) with health and metrics over HTTP; `server` the consumers, the API,
 * the dashboard and the live push, no MQTT. The split roles share the journal (JetStream) and
 * the state (PostgreSQL) with the other processes.
 */
export type ProcessRole = (typeof PROCESS_ROLES)[number];

export interface Config {
  role: ProcessRole;
  dataDir: string;
  host: string;
  httpPort: number;
  mqttPort: number;
  /** `null` turns the MQTT-over-WebSocket listener off. */
  mqttWsPort: number | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * `CARECIRCLE_DATABASE_URL`: a PostgreSQL server for the state (and the alert stream, offsets,
   * readings and dead letters); `null` keeps the embedded SQLite database in the data dir. It may
   * carry a password: show it only through `redactDatabaseUrl`.
   */
  databaseUrl: string | null;
  /**
   * `CARECIRCLE_JOURNAL_URL`: NATS servers with JetStream for the device journal
   * (`nats://host:4222`, several separated by commas; `nats://user:pass@…` or `nats://token@…`
   * logs in); `null` keeps the embedded `journal.db`. Show it only through `redactUrls`.
   */
  journalUrl: string | null;
  /**
   * `CARECIRCLE_DEVICE_KEY_FILE`: the key device secrets are checked with (auth/device-secrets.ts),
   * made on first use; default `device-secret.key` in the data dir. Every server and the CLI
   * sharing a database must use the same key (a copy of this file): a server holding another is
   * refused at start.
   */
  deviceKeyFile: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Settings in DESIGN.md that later roadmap steps implement; set now, they stop start-up. */
const NOT_YET: Record<string, string> = {
  CARECIRCLE_MQTTS_PORT: 'MQTT over TLS arrives with roadmap step 2 (gateway hardening)',
  CARECIRCLE_TLS_CERT: 'MQTT over TLS arrives with roadmap step 2 (gateway hardening)',
  CARECIRCLE_TLS_KEY: 'MQTT over TLS arrives with roadmap step 2 (gateway hardening)',
  CARECIRCLE_INFLUX_URL:
    'the InfluxDB time-series store arrives with roadmap step 4; unset it to use the embedded store',
};

/**
 * `url` with any password replaced, for logs, errors and the start-up line. Something that does
 * not parse as a URL is not shown at all: it may be a password pasted in the wrong place.
 */
export function redactDatabaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(not a URL)';
  }
  if (u.password) u.password = 'redacted';
  // libpq also takes the password as a query parameter.
  for (const key of [...u.searchParams.keys()]) {
    if (key.toLowerCase() === 'password') u.searchParams.set(key, 'redacted');
  }
  return u.toString();
}

/** `redactDatabaseUrl` for each of a comma-separated list of URLs (a NATS cluster). */
export function redactUrls(list: string): string {
  return list
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0)
    .map((u) => {
      const parsed = URL.canParse(u) ? new URL(u) : null;
      if (parsed === null) return '(not a URL)';
      // A user without a password is a token (`nats://token@host`): then the user is the secret.
      if (parsed.username && !parsed.password) parsed.username = 'redacted';
      return redactDatabaseUrl(parsed.toString());
    })
    .join(',');
}

function journalUrl(env: NodeJS.ProcessEnv): string | null {
  const name = 'CARECIRCLE_JOURNAL_URL';
  const raw = env[name]?.trim();
  if (!raw) return null;
  const servers = raw
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  if (servers.length === 0) throw new ConfigError(name, 'names no NATS server');
  for (const server of servers) {
    const u = URL.canParse(server) ? new URL(server) : null;
    if (u === null || (u.protocol !== 'nats:' && u.protocol !== 'tls:') || u.hostname === '') {
      throw new ConfigError(
        name,
        `must be nats://host:port URLs separated by commas, got ${JSON.stringify(redactUrls(server))}`,
      );
    }
  }
  return raw;
}

function databaseUrl(env: NodeJS.ProcessEnv): string | null {
  const name = 'CARECIRCLE_DATABASE_URL';
  const raw = env[name]?.trim();
  if (!raw) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a postgres:// or postgresql:// URL (it does not parse as a URL)');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new ConfigError(
      name,
      `must be a postgres:// or postgresql:// URL, got ${JSON.stringify(redactDatabaseUrl(raw))}`,
    );
  }
  return raw;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number | null): number | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()))
    throw new ConfigError(name, `must be a port number 0–65535, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n > 65535) throw new ConfigError(name, `must be a port number 0–65535, got ${raw}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  for (const [name, why] of Object.entries(NOT_YET)) {
    if (env[name]) throw new ConfigError(name, `not supported yet: ${why}`);
  }
  const known = new Set([
    'CARECIRCLE_DATA_DIR',
    'CARECIRCLE_HOST',
    'CARECIRCLE_HTTP_PORT',
    'CARECIRCLE_MQTT_PORT',
    'CARECIRCLE_MQTT_WS_PORT',
    'CARECIRCLE_LOG_LEVEL',
    'CARECIRCLE_DATABASE_URL',
    'CARECIRCLE_JOURNAL_URL',
    'CARECIRCLE_DEVICE_KEY_FILE',
    'CARECIRCLE_ROLE',
    ...Object.keys(NOT_YET),
  ]);
  for (const name of Object.keys(env)) {
    if (name.startsWith('CARECIRCLE_') && !known.has(name)) {
      throw new ConfigError(name, `unknown setting (known: ${[...known].join(', ')})`);
    }
  }
  const logLevel = (env.CARECIRCLE_LOG_LEVEL ?? 'info').trim();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      'CARECIRCLE_LOG_LEVEL',
      `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }
  const host = (env.CARECIRCLE_HOST ?? '127.0.0.1').trim();
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) {
    throw new ConfigError('CARECIRCLE_HOST', `must be a host name or IP address, got ${JSON.stringify(host)}`);
  }
  const dataDir = resolve(cwd, env.CARECIRCLE_DATA_DIR?.trim() || './data');
  const keyFile = env.CARECIRCLE_DEVICE_KEY_FILE?.trim();
  const wsRaw = env.CARECIRCLE_MQTT_WS_PORT?.trim();
  const role = (env.CARECIRCLE_ROLE?.trim() || 'all') as ProcessRole;
  if (!PROCESS_ROLES.includes(role)) {
    throw new ConfigError('CARECIRCLE_ROLE', `must be one of ${PROCESS_ROLES.join(', ')}, got ${JSON.stringify(role)}`);
  }
  const shared = { databaseUrl: databaseUrl(env), journalUrl: journalUrl(env) };
  if (role !== 'all' && (shared.databaseUrl === null || shared.journalUrl === null)) {
    throw new ConfigError(
      'CARECIRCLE_ROLE',
      `${role} runs beside other processes and shares the journal and the state with them: set CARECIRCLE_JOURNAL_URL (NATS JetStream) and CARECIRCLE_DATABASE_URL (PostgreSQL), or use the role all`,
    );
  }
  return {
    role,
    dataDir,
    host,
    httpPort: port(env, 'CARECIRCLE_HTTP_PORT', 8080)!,
    mqttPort: port(env, 'CARECIRCLE_MQTT_PORT', 1883)!,
    mqttWsPort: wsRaw === 'off' ? null : port(env, 'CARECIRCLE_MQTT_WS_PORT', 8083),
    logLevel: logLevel as Config['logLevel'],
    ...shared,
    deviceKeyFile: keyFile ? resolve(cwd, keyFile) : join(dataDir, DEVICE_KEY_FILE),
  };
}
