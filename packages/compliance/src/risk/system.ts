/**
 * The system as the risk register sees it: the assets medsim protects, the trust boundaries of its
 * data flows, and the interfaces (entry points) where each boundary is crossed. Facts come from
 * docs/architecture.md, docs/devices/, docs/firmware/, docs/access-control.md and ADR 0005; the
 * data-flow diagram in docs/threat-model.md draws the same parts.
 */
import type { Asset, AssetId, InterfaceId, SystemInterface, TrustBoundary, TrustBoundaryId } from './model.js';

/** Every asset, by id. */
export const ASSETS: Readonly<Record<AssetId, Asset>> = {
  'therapy-commands': {
    id: 'therapy-commands',
    name: 'Therapy and maintenance commands',
    description:
      'Insulin bolus, basal schedule, suspend and resume, pacing parameters, ultrasound service mode: ordered by a person, signed by the gateway command key, sealed into the device session, answered with a device-signed acknowledgement.',
    principles: ['integrity', 'availability'],
  },
  'therapy-state': {
    id: 'therapy-state',
    name: 'Device therapy state',
    description: "The pump's schedule, bolus and reservoir, the pacemaker's program, safe mode, the command replay state and journal, on the device's flash.",
    principles: ['integrity', 'availability'],
  },
  'biometric-data': {
    id: 'biometric-data',
    name: 'Biometric readings (PHI)',
    description: 'Vital-sign readings and waveforms: sealed from device to gateway, stored encrypted, served to the care team and the patient.',
    principles: ['confidentiality', 'integrity', 'availability'],
  },
  'patient-records': {
    id: 'patient-records',
    name: 'Patient records (PHI)',
    description: 'Patient names, care-team assignments, break-glass reasons, the device-to-patient link, in the gateway database.',
    principles: ['confidentiality', 'integrity'],
  },
  'alarms-and-events': {
    id: 'alarms-and-events',
    name: 'Alarms and security events',
    description: 'Device alarms (e.g. desaturation, lead impedance, reservoir low) and security events (replay detected, signature invalid, storage drop).',
    principles: ['integrity', 'availability'],
  },
  'device-keys': {
    id: 'device-keys',
    name: 'Device keys',
    description: "Each device's TLS client key, Ed25519 signing and X25519 agreement keys, and its session keys, in the keystore standing in for a secure element.",
    principles: ['confidentiality', 'integrity'],
  },
  'gateway-keys': {
    id: 'gateway-keys',
    name: 'Gateway keys',
    description:
      'The local CA key, server key, token-signing key, therapy command-signing key, director key, TUF snapshot and timestamp keys and the data key, in the gateway data directory.',
    principles: ['confidentiality', 'integrity'],
  },
  'release-keys': {
    id: 'release-keys',
    name: 'Offline release keys',
    description: 'TUF root (three keys, threshold two), targets and image-signing keys, kept offline by the release team.',
    principles: ['confidentiality', 'integrity', 'availability'],
  },
  'firmware-images': {
    id: 'firmware-images',
    name: 'Firmware images and update metadata',
    description: 'Signed images, TUF metadata and director instructions, from the release side through the gateway to the A/B slots of a device.',
    principles: ['integrity', 'availability'],
  },
  'user-credentials': {
    id: 'user-credentials',
    name: 'User credentials',
    description: 'Passwords (scrypt hashes), TOTP secrets and one-time device enrolment tokens.',
    principles: ['confidentiality', 'integrity'],
  },
  'user-sessions': {
    id: 'user-sessions',
    name: 'User sessions and tokens',
    description: 'Server-side sessions, EdDSA access tokens (5 min), rotating refresh tokens, break-glass grants.',
    principles: ['confidentiality', 'integrity'],
  },
  'identity-registry': {
    id: 'identity-registry',
    name: 'Identity registry',
    description: "Users and their roles, enrolled devices, their certificates and revocations: what the gateway's authorisation decides from.",
    principles: ['integrity', 'availability'],
  },
  'audit-trail': {
    id: 'audit-trail',
    name: 'Audit trail and command evidence',
    description: "The hash-chained audit log and each command's non-repudiation evidence (signed command, device-signed acknowledgement).",
    principles: ['integrity', 'availability'],
  },
  'gateway-service': {
    id: 'gateway-service',
    name: 'Gateway service',
    description: 'The gateway receiving, storing and serving readings and alarms, and relaying commands, for every patient it serves.',
    principles: ['availability'],
  },
  'simulation-control': {
    id: 'simulation-control',
    name: 'Simulation control',
    description: "The fleet's power, anomaly, clock and network-outage controls and the stand-in for a device's local safe-mode clearance.",
    principles: ['integrity', 'availability'],
  },
};

/** Every trust boundary, by id. */
export const TRUST_BOUNDARIES: Readonly<Record<TrustBoundaryId, TrustBoundary>> = {
  'radio-air': {
    id: 'radio-air',
    name: 'Radio air',
    description: 'Between a BLE device and the gateway central: anyone in radio range can listen, transmit, pair Just Works, or sit in the middle.',
  },
  'device-network': {
    id: 'device-network',
    name: 'Device network',
    description: 'Between MQTT devices and the gateway device plane: home, hospital or public Wi-Fi, LTE, 3G or satellite, none of them trusted.',
  },
  'user-network': {
    id: 'user-network',
    name: 'User network',
    description: "Between people's browsers and tools and the gateway user plane: any network a clinician, patient or technician uses.",
  },
  'gateway-host': {
    id: 'gateway-host',
    name: 'Gateway host',
    description: "Between the gateway process and its host: the data directory (0700, key files 0600) is readable by the gateway's OS account and root only.",
  },
  'device-casing': {
    id: 'device-casing',
    name: 'Device casing',
    description: 'Between a device and whoever holds it: the keystore, flash and slots are reachable with the device in hand.',
  },
  'host-loopback': {
    id: 'host-loopback',
    name: 'Host loopback',
    description: 'Between the fleet control endpoint (127.0.0.1, bearer token) and other processes and users on the same host.',
  },
  'offline-release': {
    id: 'offline-release',
    name: 'Offline release environment',
    description: 'Between the release team\'s offline machine and keys and everything online; files cross it by hand (online keys in, releases out).',
  },
};

/** Every interface, by id. */
export const INTERFACES: Readonly<Record<InterfaceId, SystemInterface>> = {
  'ble-radio': {
    id: 'ble-radio',
    name: 'BLE radio',
    between: ['BLE device (peripheral)', 'gateway BLE central'],
    protocol: 'BLE GATT: the medsim envelope service (sealed envelopes) and SIG health services; LE Secure Connections Just Works pairing',
    boundary: 'radio-air',
    description:
      'Five monitoring models, the insulin pump and the pacemaker can use it. The link is a second layer (ADR 0005): readings and commands are sealed end to end; Just Works gives nothing against an active man-in-the-middle.',
    notApplicable: {
      R: 'What crosses the radio is attributed end to end, not by the link: envelopes belong to the device\'s enrolled session and therapy acknowledgements are signed by the device, exactly as over MQTT (the MQTT repudiation row holds unchanged).',
    },
  },
  'mqtt-device-plane': {
    id: 'mqtt-device-plane',
    name: 'MQTT device plane',
    between: ['MQTT device', 'gateway broker (aedes)'],
    protocol: 'MQTT 3.1.1 over TLS 1.3 / 1.2 AEAD with a client certificate from the local CA (:8883)',
    boundary: 'device-network',
    description: 'Telemetry, status, events and acknowledgements up; session accepts and commands down, each sealed in the device\'s HPKE session.',
    notApplicable: {},
  },
  'firmware-endpoint': {
    id: 'firmware-endpoint',
    name: 'Firmware update endpoint',
    between: ['device update agent', 'gateway delivery and director'],
    protocol: 'HTTPS with mutual TLS (:8884): TUF metadata, images with Range, per-device director instructions (JWS), progress reports',
    boundary: 'device-network',
    description: 'Devices fetch and verify; the gateway stores releases signed offline, signs snapshot and timestamp online and runs campaigns.',
    notApplicable: {},
  },
  'user-api': {
    id: 'user-api',
    name: 'User API and live stream',
    between: ['people (patient, clinician, technician, admin, auditor)', 'gateway user plane (fastify)'],
    protocol: 'HTTPS (TLS 1.3) /v1 API with EdDSA access tokens, and a WSS live stream (:8443)',
    boundary: 'user-network',
    description: 'Login and step-up, readings, the live stream, therapy and maintenance orders, device enrolment, firmware publishing and campaigns, audit.',
    notApplicable: {},
  },
  'gateway-storage': {
    id: 'gateway-storage',
    name: 'Gateway data directory',
    between: ['gateway process', 'host file system'],
    protocol: 'Files: SQLite (WAL) database, key files, firmware blobs, logs',
    boundary: 'gateway-host',
    description: 'Everything the gateway keeps: readings encrypted under the data key, the audit hash chain, every gateway key in its own 0600 file.',
    notApplicable: {
      S: 'Files have no peer whose identity could be spoofed: who reaches them is decided by the host\'s OS accounts, and replacing a file is tampering (its own row).',
    },
  },
  'device-storage': {
    id: 'device-storage',
    name: 'Device storage (physical access)',
    between: ['device firmware', 'its keystore, flash and slots'],
    protocol: 'Files standing in for a secure element, flash memory and A/B slots',
    boundary: 'device-casing',
    description: 'The keystore (keys wrapped under a hardware unique key), the store-and-forward flash, therapy and replay state, the firmware slots and OTP counter.',
    notApplicable: {
      S: 'Storage has no peer to impersonate; a keystore moved from another device is refused (ERR_KEYSTORE_DEVICE_MISMATCH), and using extracted keys to pose as the device is the MQTT cloning row.',
    },
  },
  'fleet-control': {
    id: 'fleet-control',
    name: 'Fleet control endpoint',
    between: ['test harness or trainer', 'fleet of simulated devices'],
    protocol: 'JSON over plain HTTP on 127.0.0.1, bearer token (32 random bytes)',
    boundary: 'host-loopback',
    description: 'Powers simulated devices, injects anomalies, skews clocks, cuts networks and presses the local safe-mode clearance. A simulation harness: no deployment has it.',
    notApplicable: {},
  },
  'release-side': {
    id: 'release-side',
    name: 'Release side',
    between: ['release team (offline keys, medsim firmware)', 'gateway firmware store'],
    protocol: 'Key ceremonies offline; signed bundles published over the user API by a technician',
    boundary: 'offline-release',
    description: 'Builds and signs images and TUF targets offline, rotates and revokes keys, publishes releases; campaigns need a second person.',
    notApplicable: {},
  },
};
