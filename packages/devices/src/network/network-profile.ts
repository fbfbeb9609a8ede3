/**
 * Network profiles: the conditions of the link between a simulated device and the gateway's MQTT
 * port (Wi-Fi, LTE, 3G, satellite), applied by the FaultProxy. Each figure is the whole path as
 * TCP sees it (access network plus the Internet to the gateway), one way, in one direction; the
 * same bandwidth applies to each direction, and the catalogue uses the uplink figure because a
 * device mostly sends.
 *
 * Sources of the catalogue (rounded; real links vary by an order of magnitude):
 * - WebPageTest `www/settings/connectivity.ini.sample` (WPO-Foundation/webpagetest): "Cable
 *   (5/1 Mbps 28ms RTT)", "LTE (12 Mbps, 70ms RTT)", "3G (1.6 Mbps/768 Kbps 300ms RTT)",
 *   "3G Slow (400 Kbps, 400ms RTT)": the common emulation presets (also used by netem recipes).
 * - Firefox DevTools throttling table: "Wi-Fi 30 Mbps / 15 Mbps, 2 ms" for the wireless hop.
 * - 3GPP TS 23.203 Table 6.1.7: QCI 9 (TCP traffic on a default LTE bearer) has a 300 ms packet
 *   delay budget; the figures here stay inside it, and lte-poor (cell edge) goes near it.
 * - ITU-T G.1010 (11/2001) Table 1: telemetry and two-way control want a one-way delay under
 *   250 ms and no information loss; every profile but satellite meets the delay target,
 *   and TCP turns loss into delay (see FaultProxy).
 * - RFC 2488 §2: a geostationary hop adds about 240-280 ms one way, so a GEO satellite path
 *   sees 550-600 ms round trips.
 * Loss rates are what TCP sees after the radio's own retransmissions (HARQ/RLC on LTE, 802.11
 * ARQ on Wi-Fi), i.e. congestion and handover loss, not the raw radio error rate.
 */
import { InvalidNetworkProfileError } from '../errors.js';

/** The access technology of a link (informational: the shaping comes from the figures). */
export type NetworkTechnology = 'wifi' | 'lte' | '3g' | 'ethernet' | 'satellite';

/** Every technology, for validation and tables. */
export const NETWORK_TECHNOLOGIES: readonly NetworkTechnology[] = ['wifi', 'lte', '3g', 'ethernet', 'satellite'];

/**
 * Random outages of a link (coverage loss, rain fade, access-point roaming): a Poisson process
 * with exponentially distributed durations, drawn from the proxy's seed. Each is a blackhole.
 */
export interface OutagePattern {
  /** Mean time between the end of one outage and the start of the next, ms (at least 1,000). */
  readonly meanTimeBetweenMs: number;
  /** Mean duration of an outage, ms (at least 1). */
  readonly meanDurationMs: number;
}

/** The conditions of one link, as TCP experiences them. */
export interface NetworkProfile {
  /** Lower-case name, 1 to 64 characters of a-z, 0-9 and inner hyphens (e.g. `lte-poor`). */
  readonly name: string;
  readonly technology: NetworkTechnology;
  /** One-way latency, ms (0 to 60,000). */
  readonly latencyMs: number;
  /** One-way jitter, ms (0 to 60,000): each chunk's latency is uniform in latency ± jitter, at least 0. */
  readonly jitterMs: number;
  /** Probability in [0, 1) that a chunk needs a retransmission (costs a TCP RTO, see FaultProxy). */
  readonly lossRate: number;
  /** Bandwidth of each direction, bit/s (8 to 100,000,000,000). */
  readonly bandwidthBitsPerSecond: number;
  /**
   * True when the link crosses a network the operator does not control (an open hotspot, an ISP,
   * a mobile operator, the Internet): nothing may ever be sent in clear on it, and the FaultProxy
   * refuses a connection whose first bytes are not a TLS record.
   */
  readonly public: boolean;
  /** Random outages, if the link has them. */
  readonly outages?: OutagePattern;
}

const MBIT = 1_000_000;

/** The catalogue of named profiles (see the sources at the top of this file). */
export const NETWORK_PROFILES = {
  /** Loopback-like lab link: no delay, no loss, 1 Gbit/s (the gateway on the same LAN). */
  ideal: { name: 'ideal', technology: 'ethernet', latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBitsPerSecond: 1000 * MBIT, public: false },
  /** Home Wi-Fi behind broadband (WebPageTest Cable: 28 ms RTT; uplink between its 1 and Firefox Wi-Fi's 15 Mbit/s). */
  'home-wifi': { name: 'home-wifi', technology: 'wifi', latencyMs: 15, jitterMs: 5, lossRate: 0.001, bandwidthBitsPerSecond: 10 * MBIT, public: true },
  /** Hospital enterprise Wi-Fi to an on-premises gateway: short path, crowded air, roaming. */
  'hospital-wifi': { name: 'hospital-wifi', technology: 'wifi', latencyMs: 5, jitterMs: 5, lossRate: 0.005, bandwidthBitsPerSecond: 5 * MBIT, public: false },
  /** Open hotspot (café, station): shared and untrusted, congested. */
  'public-wifi': { name: 'public-wifi', technology: 'wifi', latencyMs: 30, jitterMs: 15, lossRate: 0.02, bandwidthBitsPerSecond: 2 * MBIT, public: true },
  /** LTE with good coverage (WebPageTest LTE: 70 ms RTT, 12 Mbit/s). */
  lte: { name: 'lte', technology: 'lte', latencyMs: 35, jitterMs: 10, lossRate: 0.001, bandwidthBitsPerSecond: 12 * MBIT, public: true },
  /** LTE at the cell edge or indoors: long scheduling delays, handovers, coverage holes. */
  'lte-poor': {
    name: 'lte-poor',
    technology: 'lte',
    latencyMs: 120,
    jitterMs: 60,
    lossRate: 0.02,
    bandwidthBitsPerSecond: 1 * MBIT,
    public: true,
    // A coverage hole every 5 minutes on average, 10 s long on average.
    outages: { meanTimeBetweenMs: 300_000, meanDurationMs: 10_000 },
  },
  /** UMTS/HSPA (WebPageTest 3G: 300 ms RTT, 768 kbit/s up). */
  '3g': { name: '3g', technology: '3g', latencyMs: 150, jitterMs: 30, lossRate: 0.005, bandwidthBitsPerSecond: 768_000, public: true },
  /** Geostationary satellite (RFC 2488 §2: ~280 ms one way) with rain fade. */
  satellite: {
    name: 'satellite',
    technology: 'satellite',
    latencyMs: 300,
    jitterMs: 20,
    lossRate: 0.005,
    bandwidthBitsPerSecond: 2 * MBIT,
    public: true,
    // Rain fade: every 30 minutes on average, 30 s long on average.
    outages: { meanTimeBetweenMs: 1_800_000, meanDurationMs: 30_000 },
  },
} as const satisfies Readonly<Record<string, NetworkProfile>>;

for (const profile of Object.values(NETWORK_PROFILES) as NetworkProfile[]) {
  if (profile.outages !== undefined) Object.freeze(profile.outages);
  Object.freeze(profile);
}
Object.freeze(NETWORK_PROFILES);

/** The name of a catalogued profile. */
export type NetworkProfileName = keyof typeof NETWORK_PROFILES;

// Limits of validateNetworkProfile, with units.
const MAX_DELAY_MS = 60_000; // 60 s: beyond that TCP and MQTT keepalives have long given up.
const MIN_BANDWIDTH_BITS_PER_SECOND = 8; // 1 byte/s: the slowest trickle worth simulating.
const MAX_BANDWIDTH_BITS_PER_SECOND = 100_000_000_000; // 100 Gbit/s.
const MIN_OUTAGE_GAP_MS = 1_000;
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/u;

function fail(field: string, message: string): never {
  throw new InvalidNetworkProfileError(`network profile ${field} ${message}`, { details: { field } });
}

function number(record: Record<string, unknown>, field: string, min: number, max: number, maxInclusive = true): number {
  const value = record[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, 'must be a finite number');
  if (value < min || (maxInclusive ? value > max : value >= max)) fail(field, `must be in [${min}, ${max}${maxInclusive ? ']' : ')'}`);
  return value;
}

/**
 * Checks that `value` is a sensible NetworkProfile and returns a frozen copy of it. Throws
 * ERR_NETWORK_INVALID_PROFILE (details.field names the bad field).
 */
export function validateNetworkProfile(value: unknown): NetworkProfile {
  if (typeof value !== 'object' || value === null) fail('', 'must be an object');
  const record = value as Record<string, unknown>;
  const { name, technology } = record;
  if (typeof name !== 'string' || !NAME.test(name)) fail('name', 'must be 1-64 characters of a-z, 0-9 and inner hyphens');
  if (typeof technology !== 'string' || !(NETWORK_TECHNOLOGIES as readonly string[]).includes(technology)) {
    fail('technology', `must be one of ${NETWORK_TECHNOLOGIES.join(', ')}`);
  }
  const latencyMs = number(record, 'latencyMs', 0, MAX_DELAY_MS);
  const jitterMs = number(record, 'jitterMs', 0, MAX_DELAY_MS);
  // A link that loses every chunk is an outage, not a loss rate: use FaultProxy.outage().
  const lossRate = number(record, 'lossRate', 0, 1, false);
  const bandwidthBitsPerSecond = number(record, 'bandwidthBitsPerSecond', MIN_BANDWIDTH_BITS_PER_SECOND, MAX_BANDWIDTH_BITS_PER_SECOND);
  if (typeof record.public !== 'boolean') fail('public', 'must be a boolean');
  const profile: { -readonly [K in keyof NetworkProfile]: NetworkProfile[K] } = {
    name,
    technology: technology as NetworkTechnology,
    latencyMs,
    jitterMs,
    lossRate,
    bandwidthBitsPerSecond,
    public: record.public,
  };
  if (record.outages !== undefined) {
    if (typeof record.outages !== 'object' || record.outages === null) fail('outages', 'must be an object');
    const outages = record.outages as Record<string, unknown>;
    const meanTimeBetweenMs = number(outages, 'meanTimeBetweenMs', MIN_OUTAGE_GAP_MS, Number.MAX_SAFE_INTEGER);
    const meanDurationMs = number(outages, 'meanDurationMs', 1, Number.MAX_SAFE_INTEGER);
    profile.outages = Object.freeze({ meanTimeBetweenMs, meanDurationMs });
  }
  return Object.freeze(profile);
}

const formatBandwidth = (bits: number): string =>
  bits >= 1e9 ? `${bits / 1e9} Gbit/s` : bits >= 1e6 ? `${bits / 1e6} Mbit/s` : bits >= 1e3 ? `${bits / 1e3} kbit/s` : `${bits} bit/s`;

const formatDuration = (ms: number): string => (ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);

/**
 * The catalogue as a Markdown table (docs/devices/network-profiles.md embeds it; a test fails
 * when the page and the catalogue differ).
 */
export function renderNetworkProfilesTable(profiles: readonly NetworkProfile[] = Object.values(NETWORK_PROFILES)): string {
  const rows = profiles.map((p) =>
    [
      `\`${p.name}\``,
      p.technology,
      `${p.latencyMs} ms`,
      `${p.jitterMs} ms`,
      `${+(p.lossRate * 100).toFixed(3)} %`,
      formatBandwidth(p.bandwidthBitsPerSecond),
      p.public ? 'yes' : 'no',
      p.outages === undefined ? '—' : `every ~${formatDuration(p.outages.meanTimeBetweenMs)}, ~${formatDuration(p.outages.meanDurationMs)}`,
    ].join(' | '),
  );
  return [
    '| profile | technology | latency (one way) | jitter | loss (per chunk) | bandwidth (each way) | public | random outages |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}
