/**
 * The gateway's one configuration: defaults, then a JSON file, then MEDSIM_* environment
 * variables, then flags, each layer validated key by key against SETTINGS. A bad value stops
 * start-up with a ConfigError naming the key. Defaults are the secure ones: TLS only, single
 * session, MFA for privileged roles, short tokens, every limit set.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** One setting's rule. */
type Setting =
  | { readonly kind: 'int'; readonly default: number; readonly min: number; readonly max: number; readonly doc: string }
  | { readonly kind: 'string'; readonly default: string; readonly pattern?: RegExp; readonly maxLength: number; readonly doc: string }
  | { readonly kind: 'enum'; readonly default: string; readonly values: readonly string[]; readonly doc: string }
  | { readonly kind: 'bool'; readonly default: boolean; readonly doc: string };

const MIB = 1024 * 1024;

/** Every configuration key, its default, its range and what it does (rendered into docs). */
export const SETTINGS = {
  dataDir: { kind: 'string', default: './.medsim', maxLength: 4096, doc: 'Data directory: database, CA, keys.' },
  host: { kind: 'string', default: '127.0.0.1', pattern: /^[0-9a-zA-Z.:-]+$/u, maxLength: 253, doc: 'Address both listeners bind to.' },
  'log.level': { kind: 'enum', default: 'info', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], doc: 'pino log level.' },
  'mqtt.port': { kind: 'int', default: 8883, min: 0, max: 65535, doc: 'MQTT over TLS (mTLS) port; 0 picks a free one.' },
  'mqtt.maxPacketBytes': { kind: 'int', default: 65_536 + 512, min: 1024, max: 4 * MIB, doc: 'Largest MQTT packet accepted; the connection is closed above it.' },
  'mqtt.maxConnections': { kind: 'int', default: 10_000, min: 1, max: 1_000_000, doc: 'Most device connections at once.' },
  'mqtt.maxConnectionsPerAddress': { kind: 'int', default: 2_000, min: 1, max: 1_000_000, doc: 'Most device connections from one source address.' },
  'mqtt.connectTimeoutMs': { kind: 'int', default: 10_000, min: 100, max: 120_000, doc: 'A socket that has not completed TLS and CONNECT in this time is closed.' },
  'mqtt.maxInflight': { kind: 'int', default: 100, min: 1, max: 65_535, doc: 'Unacknowledged inbound QoS 1 messages per connection.' },
  'mqtt.keepaliveLimitS': { kind: 'int', default: 600, min: 1, max: 65_535, doc: 'Largest MQTT keepalive a device may ask for, in seconds.' },
  'mqtt.handshakesPerMinute': { kind: 'int', default: 30, min: 1, max: 100_000, doc: 'Session handshakes per device per minute.' },
  'ble.maxConnections': { kind: 'int', default: 32, min: 1, max: 1_000, doc: 'Most BLE devices the central keeps connected at once (a BLE adapter manages tens).' },
  'http.port': { kind: 'int', default: 8443, min: 0, max: 65535, doc: 'HTTPS API and WebSocket port; 0 picks a free one.' },
  'http.bodyLimitBytes': { kind: 'int', default: 65_536, min: 1024, max: 16 * MIB, doc: 'Largest request body; 413 above it.' },
  'http.requestsPerMinute': { kind: 'int', default: 600, min: 1, max: 1_000_000, doc: 'Requests per source address per minute; 429 above it.' },
  'http.allowedOrigins': { kind: 'string', default: '', maxLength: 4096, doc: 'Comma-separated Origins allowed to open the WebSocket (empty: same host only).' },
  'auth.sessionPolicy': { kind: 'enum', default: 'replace', values: ['replace', 'reject'], doc: 'Single session (MFDS 1.2): a new login ends the old session, or is refused while it lives (ADR 0003).' },
  'auth.accessTokenTtlS': { kind: 'int', default: 300, min: 30, max: 3600, doc: 'Access token lifetime, seconds.' },
  'auth.refreshTokenTtlS': { kind: 'int', default: 8 * 3600, min: 60, max: 7 * 86_400, doc: 'Refresh token lifetime, seconds (never beyond the session).' },
  'auth.idleTimeoutS': { kind: 'int', default: 15 * 60, min: 30, max: 86_400, doc: 'A session unused this long ends.' },
  'auth.absoluteLifetimeS': { kind: 'int', default: 12 * 3600, min: 60, max: 7 * 86_400, doc: 'A session ends this long after login, used or not.' },
  'auth.clockToleranceS': { kind: 'int', default: 30, min: 0, max: 60, doc: 'JWT clock tolerance (capped at 60 s, RFC 8725 J7).' },
  'auth.maxFailedLogins': { kind: 'int', default: 5, min: 1, max: 100, doc: 'Failed logins before the account locks.' },
  'auth.lockoutBaseS': { kind: 'int', default: 60, min: 1, max: 86_400, doc: 'First lock period; it doubles with each further lock, up to 24 h.' },
  'auth.loginsPerMinute': { kind: 'int', default: 20, min: 1, max: 100_000, doc: 'Login attempts per source address per minute.' },
  'auth.mfaForClinicians': { kind: 'bool', default: false, doc: 'Also require TOTP from clinicians (always required for admin, technician, auditor).' },
  'auth.breakGlassMaxS': { kind: 'int', default: 3600, min: 60, max: 12 * 3600, doc: 'Longest emergency-access grant.' },
  'auth.banner': { kind: 'string', default: '', maxLength: 2000, doc: 'Login banner shown before login (IEC 62443 CR 1.12); empty for none.' },
  'auth.scryptCost': { kind: 'int', default: 2 ** 15, min: 2 ** 14, max: 2 ** 20, doc: 'scrypt N for new password hashes (r=8, p=1).' },
  'enrolment.tokenTtlS': { kind: 'int', default: 24 * 3600, min: 60, max: 30 * 86_400, doc: 'Lifetime of a one-time device enrolment token.' },
  'enrolment.certificateDays': { kind: 'int', default: 365, min: 1, max: 3650, doc: 'Validity of device certificates.' },
  'firmware.port': { kind: 'int', default: 8884, min: 0, max: 65535, doc: 'Firmware update delivery over HTTPS with mutual TLS (devices only); 0 picks a free one.' },
  'firmware.maxImageBytes': { kind: 'int', default: 256 * MIB, min: 4096, max: 512 * MIB, doc: 'Largest firmware image the repository takes, in bytes (the image format caps payloads at 256 MiB).' },
  'firmware.maxBundleBytes': { kind: 'int', default: 384 * MIB, min: 65_536, max: 1024 * MIB, doc: 'Largest publish request (JSON, files base64-encoded), in bytes; 413 above it.' },
  'firmware.maxConnections': { kind: 'int', default: 1_000, min: 1, max: 100_000, doc: 'Most update-delivery connections at once.' },
  'firmware.maxConnectionsPerDevice': { kind: 'int', default: 4, min: 1, max: 100, doc: 'Most update-delivery connections one device holds at once.' },
  'firmware.requestsPerMinute': { kind: 'int', default: 600, min: 1, max: 100_000, doc: 'Update-delivery requests per device per minute; 429 above it.' },
  'firmware.connectTimeoutMs': { kind: 'int', default: 10_000, min: 100, max: 120_000, doc: 'An update connection must finish TLS, and a request its headers, within this time.' },
  'firmware.idleTimeoutMs': { kind: 'int', default: 60_000, min: 1_000, max: 3_600_000, doc: 'An update connection with no traffic for this long is closed.' },
  'firmware.reportMaxBytes': { kind: 'int', default: 1_024, min: 256, max: 65_536, doc: 'Largest update progress report a device may send, in bytes; 413 above it.' },
  'firmware.instructionTtlS': { kind: 'int', default: 3_600, min: 60, max: 86_400, doc: 'Lifetime of a director instruction, seconds (at most a day: the device refuses longer).' },
  'firmware.failureThresholdPercent': { kind: 'int', default: 20, min: 0, max: 100, doc: 'Default failure rate (percent of the devices that finished in the current stage) above which a campaign pauses itself.' },
  'firmware.minFailureSample': { kind: 'int', default: 3, min: 1, max: 10_000, doc: 'Default number of finished devices before the failure rate can pause a campaign (fewer when the whole stage has finished).' },
} as const satisfies Record<string, Setting>;

/** A configuration key. */
export type SettingKey = keyof typeof SETTINGS;

type ValueOf<S> = S extends { kind: 'int' } ? number : S extends { kind: 'bool' } ? boolean : string;

/** The validated configuration, flat by dotted key. */
export type GatewayConfig = { readonly [K in SettingKey]: ValueOf<(typeof SETTINGS)[K]> };

/** Where the layers come from. */
export interface ConfigSources {
  /** A JSON file of nested or dotted keys. */
  readonly file?: string;
  /** Environment (MEDSIM_MQTT_PORT for mqtt.port, MEDSIM_DATA_DIR for dataDir). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values from flags or from code, by dotted key. */
  readonly overrides?: Partial<Record<string, unknown>>;
}

/** The environment variable of a key: `auth.idleTimeoutS` → `MEDSIM_AUTH_IDLE_TIMEOUT_S`. */
export function envName(key: string): string {
  return `MEDSIM_${key.replace(/\./gu, '_').replace(/([a-z0-9])([A-Z])/gu, '$1_$2').toUpperCase()}`;
}

function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    out[prefix] = value;
    return out;
  }
  for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  return out;
}

/** Validates one value; `fromText` parses strings (environment) first. */
function validate(key: SettingKey, raw: unknown, fromText: boolean): number | string | boolean {
  const setting: Setting = SETTINGS[key];
  switch (setting.kind) {
    case 'int': {
      const value = fromText && typeof raw === 'string' && /^-?\d+$/u.test(raw.trim()) ? Number(raw.trim()) : raw;
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ConfigError(key, 'must be an integer');
      if (value < setting.min || value > setting.max) {
        throw new ConfigError(key, `must be between ${setting.min} and ${setting.max} (got ${value})`);
      }
      return value;
    }
    case 'bool': {
      const value = fromText && (raw === 'true' || raw === 'false') ? raw === 'true' : raw;
      if (typeof value !== 'boolean') throw new ConfigError(key, 'must be true or false');
      return value;
    }
    case 'enum':
      if (typeof raw !== 'string' || !setting.values.includes(raw)) throw new ConfigError(key, `must be one of ${setting.values.join(', ')}`);
      return raw;
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError(key, 'must be a string');
      if (raw.length > setting.maxLength) throw new ConfigError(key, `must be at most ${setting.maxLength} characters`);
      if (setting.pattern !== undefined && !setting.pattern.test(raw)) throw new ConfigError(key, 'has characters that are not allowed');
      return raw;
  }
}

/** Builds the configuration from its layers; throws ConfigError naming the first bad key. */
export function loadConfig(sources: ConfigSources = {}): GatewayConfig {
  const config: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) config[key] = SETTINGS[key].default;
  const apply = (entries: Record<string, unknown>, fromText: boolean, origin: string): void => {
    for (const [key, raw] of Object.entries(entries)) {
      if (raw === undefined) continue;
      if (!isSettingKey(key)) throw new ConfigError(key, `unknown key (from ${origin})`);
      config[key] = validate(key, raw, fromText);
    }
  };
  if (sources.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(sources.file, 'utf8'));
    } catch (cause) {
      throw new ConfigError('config', `cannot read ${sources.file} as JSON`, { cause });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('config', 'the file must hold a JSON object');
    apply(flatten(parsed), false, sources.file);
  }
  if (sources.env !== undefined) {
    const fromEnv: Record<string, unknown> = {};
    for (const key of Object.keys(SETTINGS)) fromEnv[key] = sources.env[envName(key)];
    apply(fromEnv, true, 'environment');
  }
  if (sources.overrides !== undefined) apply({ ...sources.overrides }, true, 'flags');
  const result = config as GatewayConfig;
  if (result['auth.idleTimeoutS'] > result['auth.absoluteLifetimeS']) {
    throw new ConfigError('auth.idleTimeoutS', 'must not exceed auth.absoluteLifetimeS');
  }
  return Object.freeze(result);
}
