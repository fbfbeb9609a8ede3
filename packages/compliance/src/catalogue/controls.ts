/**
 * The control catalogue, CTL-01 … CTL-24 (reference/regulatory.md §2.1), as medsim built it. Every
 * requirement of every profile resolves to these; each names the source files that implement it
 * (repository-relative, checked to exist by the tests) and what its verifying tests assert. The
 * tests themselves are found by id, in their vitest tags and [CTL-nn] name prefixes, never listed
 * here: a control without such a test shows as "not verified" in the documents.
 *
 * Titles are the tag descriptions of vitest.tags.ts, shortened to the text before their
 * parenthesis. Where medsim has not built part of a control, the description says so: a gap is
 * shown, never hidden (issue 6, "Honesty is the point").
 */
import type { Control } from '../model.js';

/** The 24 controls, in id order. */
export const CONTROLS: readonly Control[] = [
  {
    id: 'CTL-01',
    title: 'Role-based access control, deny by default, object-level scope',
    description:
      'One permission matrix grants each of the five user roles (patient, clinician, technician, admin, auditor) what it may do on the HTTPS API; a route that declares no permission stops start-up, and object-level scope limits a clinician to the care team and a patient to themself.',
    scope: ['gateway'],
    principles: ['confidentiality', 'integrity'],
    code: [
      'packages/gateway/src/user-plane/rbac/permissions.ts',
      'packages/gateway/src/user-plane/rbac/scope.ts',
      'packages/gateway/src/user-plane/rbac/route-guard.ts',
      'packages/gateway/src/users/roles.ts',
    ],
    verification:
      'The role × route × owner matrix over real TLS: every role on every route of the catalogue gets the answer the matrix says (2xx or 403); a patient reading another patient and a clinician outside the care team get 403; a route without a declared permission stops start-up; denials are audited as access.denied.',
  },
  {
    id: 'CTL-02',
    title: 'User authentication',
    description:
      'Per-user accounts with scrypt password hashes, a length and common-password policy, lockout with doubling back-off, identical answers for an unknown user and a wrong password, a TOTP second factor for admin, technician and auditor, and a configurable login banner (IA-08).',
    scope: ['gateway'],
    principles: ['confidentiality', 'integrity'],
    code: [
      'packages/gateway/src/users/password.ts',
      'packages/gateway/src/users/lockout.ts',
      'packages/gateway/src/users/totp.ts',
      'packages/gateway/src/user-plane/auth/login.ts',
      'packages/gateway/src/user-plane/routes/session-routes.ts',
    ],
    verification:
      'Passwords are stored as scrypt with their parameters, never in clear, and re-hashed when the cost rises; short, long, name-containing and common passwords are refused; the account locks at the threshold with a back-off capped at 24 h; unknown user and wrong password get byte-identical answers; privileged roles need a TOTP code, accepted once; the banner is served.',
  },
  {
    id: 'CTL-03',
    title: 'Single-session enforcement',
    description:
      'At most one live session per user, enforced by a partial unique index inside one transaction, under the policy `replace` (a new login ends the old session) or `reject` (ADR 0003); at most one live MQTT connection per device identity. Both outcomes are audited.',
    scope: ['gateway'],
    principles: ['confidentiality', 'integrity'],
    code: ['packages/gateway/src/user-plane/sessions/session-store.ts', 'packages/gateway/src/device-plane/broker.ts'],
    verification:
      'Under replace the old token gets 401 ERR_SESSION_SUPERSEDED and its WebSocket closes; under reject a second login gets 409 ERR_SESSION_ACTIVE; 20 parallel logins leave exactly one live session; a second connection with the same device certificate is refused while the first keeps publishing, and a possible-clone alert is audited.',
  },
  {
    id: 'CTL-04',
    title: 'Session management',
    description:
      'Short-lived EdDSA access tokens name a server-side session that every request looks up, with idle and absolute timeouts, revocation on logout and credential changes, and refresh-token rotation whose reuse revokes the whole family.',
    scope: ['gateway'],
    principles: ['confidentiality', 'integrity'],
    code: [
      'packages/gateway/src/user-plane/sessions/session-store.ts',
      'packages/gateway/src/user-plane/auth/refresh-tokens.ts',
      'packages/gateway/src/user-plane/auth/access-token.ts',
    ],
    verification:
      'A session idle past auth.idleTimeoutS or older than auth.absoluteLifetimeS gets 401 ERR_SESSION_EXPIRED; after logout the access and refresh tokens are refused; a reused refresh token revokes its family and ends the session (audited high); disabling a user or changing a role or credential ends their sessions.',
  },
  {
    id: 'CTL-05',
    title: 'Device/node authentication',
    description:
      "Each device generates its own key pairs in its keystore and gets a certificate from the gateway's local CA bound to its device id; device listeners require mutual TLS and check enrolment and revocation, and the HPKE session handshake authenticates both sides' enrolled static keys. Nothing is derived from a serial number.",
    scope: ['gateway', 'device'],
    principles: ['confidentiality', 'integrity'],
    code: [
      'packages/gateway/src/pki/local-ca.ts',
      'packages/gateway/src/pki/device-tls.ts',
      'packages/gateway/src/devices/device-registry.ts',
      'packages/crypto/src/session/handshake.ts',
    ],
    verification:
      'Connecting without a client certificate, with one from a foreign CA, or as a revoked device fails; revoking closes the live connection; the handshake refuses a device key other than the enrolled one, and the device refuses a gateway that does not hold the expected key; an enrolment token works once.',
  },
  {
    id: 'CTL-06',
    title: 'Transport security',
    description:
      'Every listener is TLS: the user plane TLS 1.3 only; the MQTT device plane and the firmware update endpoint TLS 1.3, or TLS 1.2 with ECDHE and AEAD suites only. There is no plaintext listener.',
    scope: ['gateway', 'device'],
    principles: ['confidentiality', 'integrity'],
    code: [
      'packages/gateway/src/pki/device-tls.ts',
      'packages/gateway/src/device-plane/broker.ts',
      'packages/gateway/src/user-plane/server.ts',
      'packages/gateway/src/firmware/delivery-server.ts',
    ],
    verification:
      'TLS 1.0, TLS 1.1 and TLS 1.2 with a non-AEAD suite are refused in the handshake; TLS 1.2 AEAD suites and TLS 1.3 reach MQTT; the user plane refuses TLS 1.2; an MQTT CONNECT over plain TCP gets no CONNACK and plaintext http:// and ws:// get no service.',
  },
  {
    id: 'CTL-07',
    title: 'Encrypted, authenticated biometric transfer',
    description:
      'Readings travel from device to gateway in AES-256-GCM envelopes under per-device HPKE session keys, with device, key id, stream and sequence authenticated in the header; the same envelopes cross MQTT and BLE, so the BLE link is not trusted for confidentiality (ADR 0005).',
    scope: ['device', 'gateway'],
    principles: ['confidentiality', 'integrity'],
    code: [
      'packages/crypto/src/session/handshake.ts',
      'packages/crypto/src/session/secure-session.ts',
      'packages/gateway/src/device-plane/device-sessions.ts',
      'packages/ble-radio/src/gatt/medsim-envelope-service.ts',
    ],
    verification:
      "Envelopes round-trip with their header authenticated; a flipped bit, the other direction or another device's session fails to open; a million (stream, sequence) pairs give distinct nonces; over BLE the sniffer finds no reading; no plaintext reading appears in the database file or the log.",
  },
  {
    id: 'CTL-08',
    title: 'Anti-replay and command authenticity',
    description:
      "A sliding replay window per stream refuses repeated and too-old envelopes and survives restarts; therapy and maintenance commands are confirmed by the ordering user with a fresh factor (signal of intent), signed with the gateway's command key, and checked by the device for signature, addressee, freshness, nonce and sequence.",
    scope: ['gateway', 'device'],
    principles: ['integrity'],
    code: [
      'packages/crypto/src/replay-window.ts',
      'packages/gateway/src/therapy/therapy-commands.ts',
      'packages/devices/src/control/therapy-command-verifier.ts',
    ],
    verification:
      'A replayed envelope is refused with ERR_CRYPTO_REPLAY, reordering within the window is accepted once and 1,024 behind is too old, also after a restart; a therapy command that is replayed, stale, for another device, unsigned or altered is refused by the device, which keeps or enters its safe therapy state; only the ordering user in the same session can confirm.',
  },
  {
    id: 'CTL-09',
    title: 'Input validation',
    description:
      'Every boundary decodes strictly: byte limits before parsing, protobuf messages validated field by field with ranges, JSON bodies against closed schemas, MQTT frames by a byte-level guard, GATT values by their codecs; the therapy interlocks on the device apply whoever signed a command.',
    scope: ['gateway', 'device'],
    principles: ['integrity', 'availability'],
    code: [
      'packages/protocol/src/codec.ts',
      'packages/protocol/src/limits.ts',
      'packages/gateway/src/user-plane/schemas.ts',
      'packages/gateway/src/device-plane/packet-guard.ts',
    ],
    verification:
      'Property-based fuzzing with fixed seeds of the protocol decoders, the MQTT packet guard, the GATT codecs and the HTTP bodies: hostile input gets a typed refusal, never a crash; out-of-range values (doses, pacing parameters, SFLOATs) are refused rather than rounded; unknown members and oversized bodies are refused.',
  },
  {
    id: 'CTL-10',
    title: 'Data-at-rest protection',
    description:
      "The gateway stores readings, patient names, TOTP secrets and device session secrets as AES-256-GCM under its data key, bound to their row; key files are 0600 in a 0700 directory; a device's keystore is encrypted under its hardware unique key. Key rotation with re-encryption is not built.",
    scope: ['gateway', 'device'],
    principles: ['confidentiality'],
    code: ['packages/gateway/src/store/at-rest.ts', 'packages/gateway/src/data-dir.ts', 'packages/devices/src/runtime/keystore.ts'],
    verification:
      'No reading, patient name or TOTP secret is in clear in the database file (canary search); a ciphertext copied into another row does not open; the data directory is 0700 and every key file 0600; the keystore file holds no key or CSR in clear; a missing data key over existing data stops start-up.',
  },
  {
    id: 'CTL-11',
    title: 'Key management',
    description:
      'Keys are generated where they are used (device keystore, gateway first start) and kept apart by purpose: session identity, token signing, therapy command signing, firmware director and TUF online keys. Sessions rekey at usage and age limits, and no device holds a key that opens another device\'s traffic.',
    scope: ['gateway', 'device'],
    principles: ['confidentiality', 'integrity'],
    code: [
      'packages/devices/src/runtime/keystore.ts',
      'packages/gateway/src/bootstrap.ts',
      'packages/crypto/src/session/rekey-policy.ts',
    ],
    verification:
      "An envelope of one device never opens in another device's session; sessions ask for a rekey at 75 % of their limits and sealing stops at the limit; X25519, HKDF and HPKE agree with the Wycheproof and RFC 9180 vectors and with @hpke/core.",
  },
  {
    id: 'CTL-12',
    title: 'Signed firmware updates',
    description:
      'Images are signed offline (Ed25519) and published through a TUF repository whose snapshot and timestamp the gateway signs online; a signed director instruction per device (the Uptane split) names what to install, and the device installs only what both agree on, newer than what runs, into its inactive slot. Campaigns need a technician and a second admin with TOTP.',
    scope: ['gateway', 'device'],
    principles: ['integrity', 'availability'],
    code: [
      'packages/firmware/src/image/image.ts',
      'packages/firmware/src/tuf/update-client.ts',
      'packages/firmware/src/director/director-instruction.ts',
      'packages/devices/src/firmware/update-agent.ts',
      'packages/devices/src/firmware/install-policy.ts',
      'packages/devices/src/firmware/bootloader.ts',
      'packages/gateway/src/firmware/campaigns.ts',
    ],
    verification:
      'The update attack cases U1-U16: a replaced or unsigned image, a wrong model, a lower version or security counter, endless data, a replayed or forged director instruction, stale or mixed metadata are each refused with their own code before anything boots; power lost at every write of an update leaves the old or the new image running; a technician publishes, and only another user, an admin with a fresh TOTP code, approves a campaign.',
  },
  {
    id: 'CTL-13',
    title: 'Boot and code integrity',
    description:
      'The simulated bootloader verifies the hash and signature of the image to run from its flash bytes at every start (A/B slots, an anti-rollback counter in OTP fuses), reverts a trial image that fails its health check, and runs in safe mode when no valid image is left.',
    scope: ['device'],
    principles: ['integrity', 'availability'],
    code: [
      'packages/devices/src/firmware/bootloader.ts',
      'packages/devices/src/firmware/slot-verifier.ts',
      'packages/devices/src/firmware/otp-counter.ts',
      'packages/firmware/src/image/stream-verifier.ts',
    ],
    verification:
      'A byte flipped anywhere in the active slot (header, payload, hash, key hash, signature) or an image swapped on flash does not boot and the other valid slot does; a trial image that fails its health check is reverted; with no valid slot the device runs in safe mode and reports why; a fallback image below the OTP counter is refused.',
  },
  {
    id: 'CTL-14',
    title: 'Security audit logging',
    description:
      'Security events are structured records (time, actor, role, source, event, outcome, object) with ids and codes only, kept in a hash-chained SQLite table that `medsim audit verify` checks and that only auditors query or export (JSON lines); devices keep their own identifier-only event log.',
    scope: ['gateway', 'device'],
    principles: ['integrity'],
    code: [
      'packages/gateway/src/audit/audit-log.ts',
      'packages/logging/src/audit-stream.ts',
      'packages/logging/src/redact.ts',
      'packages/gateway/src/user-plane/routes/audit-routes.ts',
    ],
    verification:
      'Security events produce entries with the required fields; an untouched chain verifies and an edited, deleted or reordered entry is detected; only auditors query and export; no password, token, key, reading or patient name reaches the audit table or the log (canary search).',
  },
  {
    id: 'CTL-15',
    title: 'Non-repudiation of clinical commands',
    description:
      "Each therapy command is bound to the ordering user and session and signed with the gateway's command key; the device answers with an acknowledgement signed by its own enrolled key; both signed byte strings are kept as evidence that verifies offline.",
    scope: ['gateway', 'device'],
    principles: ['integrity'],
    code: [
      'packages/gateway/src/therapy/command-evidence.ts',
      'packages/gateway/src/therapy/therapy-commands.ts',
      'packages/devices/src/control/command-processor.ts',
    ],
    verification:
      'The evidence of an executed command verifies offline; a flipped command or acknowledgement byte, a swapped device key, a foreign acknowledgement or a rewritten status fails verification; refusals are acknowledged and recorded too; command rows are never deleted or rewritten.',
  },
  {
    id: 'CTL-16',
    title: 'Availability and resilience',
    description:
      'Every resource has an explicit limit (connection caps, per-address rate limits answered 429, packet, body and message sizes, queue and flash sizes) and ingest commits before it acknowledges; a device keeps its therapy and its readings on flash without the gateway and resends them, stored exactly once.',
    scope: ['gateway', 'device'],
    principles: ['availability'],
    code: [
      'packages/gateway/src/limits/rate-limit.ts',
      'packages/gateway/src/device-plane/broker.ts',
      'packages/gateway/src/device-plane/ingest.ts',
      'packages/devices/src/runtime/store-and-forward-queue.ts',
    ],
    verification:
      'Each limit is tested at and past its value and refused with a typed error or 429; a gateway killed by SIGKILL mid-stream loses and duplicates nothing: after the restart every reading is stored exactly once; power lost at any write keeps the device updatable.',
  },
  {
    id: 'CTL-17',
    title: 'Least functionality and hardening',
    description:
      'The user-plane routes are an allow-list (the route catalogue), each with its declared permission; security headers go on every answer; MQTT features the devices do not need (Will, MQTT 5, keepalive 0) are refused; configuration defaults are the secure ones; a maintenance device exposes no therapy action.',
    scope: ['gateway', 'device'],
    principles: ['confidentiality', 'integrity', 'availability'],
    code: [
      'packages/gateway/src/user-plane/routes/catalogue.ts',
      'packages/gateway/src/user-plane/rbac/route-guard.ts',
      'packages/gateway/src/user-plane/security-headers.ts',
      'packages/gateway/src/config/config.ts',
    ],
    verification:
      'The running route inventory equals the catalogue, each route with its permission; an unknown route or method is a 404 problem; the security headers are on successes, errors and 404s; the defaults are the secure ones; a CONNECT with a Will, MQTT 5 and keepalive 0 are refused; a maintenance device refuses every therapy action.',
  },
  {
    id: 'CTL-18',
    title: 'Emergency access',
    description:
      "A clinician may break the glass, with a written reason, for time-limited read access to one patient outside the care team, never for therapy; the grant is audited at high severity and lapses by itself.",
    scope: ['gateway'],
    principles: ['availability'],
    code: ['packages/gateway/src/user-plane/routes/session-routes.ts', 'packages/gateway/src/user-plane/rbac/scope.ts'],
    verification:
      'Only clinicians may break the glass, and only with a reason; the grant reads the one patient, never orders therapy, is audited high, and lapses at its deadline.',
  },
  {
    id: 'CTL-19',
    title: 'Physical/diagnostic interface protection',
    description:
      "The simulated devices have no physical debug port; a maintenance device's service interface is its service mode, which opens only by a signed, technician-confirmed command and closes at its deadline, on safe mode and at every boot; after an integrity failure remote maintenance waits for a local clearance.",
    scope: ['device'],
    principles: ['confidentiality', 'integrity'],
    code: ['packages/devices/src/maintenance/maintenance-functions.ts'],
    verification:
      'Service mode opens only by a valid signed command and shows SERVICE; it closes after its duration, on command, on safe mode and at reboot; a resent command changes nothing; the replay state survives a reboot.',
  },
  {
    id: 'CTL-20',
    title: 'SBOM and vulnerability management',
    description:
      "Dependencies are pinned to exact versions in the lockfile; @medsim/compliance generates a CycloneDX 1.6 SBOM of the shipped packages with @cyclonedx/cyclonedx-npm, offline and validated against its schema, and adds SHA-512 component hashes from the lockfile's integrity values. A dependency vulnerability scan with a CISA-KEV gate is not built.",
    scope: ['ci'],
    principles: ['integrity', 'availability'],
    code: ['packages/compliance/src/sbom/generate-sbom.ts', 'packages/compliance/src/sbom/lockfile-hashes.ts', 'package-lock.json'],
    verification:
      'The SBOM is a CycloneDX 1.6 BOM, the same on every run, listing every workspace package and its runtime dependencies, with a SHA-512 hash for every registry package; a KEV-listed vulnerability failing the build is not built, so nothing asserts it.',
  },
  {
    id: 'CTL-21',
    title: 'Backup, restore and trusted defaults',
    description:
      "The gateway refuses to start on a damaged, foreign or newer-schema database instead of starting empty, its configuration falls back to secure defaults, and a device's keystore can be factory-reset. Signed configuration backup and authenticated restore are not built.",
    scope: ['gateway', 'device'],
    principles: ['integrity', 'availability'],
    code: ['packages/gateway/src/store/database.ts', 'packages/gateway/src/config/config.ts', 'packages/devices/src/runtime/keystore.ts'],
    verification:
      'A damaged, foreign or newer-schema database stops start-up with ERR_STORE_CORRUPT and is left byte-identical; a restore with a bad signature or by an unauthorised role is refused and a reset restores the secure baseline (not built: no test asserts it).',
  },
  {
    id: 'CTL-22',
    title: 'Security event detection and user notification',
    description:
      'Events that point to an attack (a second connection of one device identity as a possible clone, refused command signatures and replays, integrity failures that put a device into safe mode) are audited at high severity and logged at warn for review. There are no rate-based anomaly rules and no push notification to the clinician or admin console.',
    scope: ['gateway', 'device'],
    principles: ['integrity', 'availability'],
    code: [
      'packages/gateway/src/device-plane/broker.ts',
      'packages/gateway/src/therapy/therapy-commands.ts',
      'packages/devices/src/control/command-processor.ts',
    ],
    verification:
      'A replayed or altered command is reported by the device as a security event and puts it into safe mode (bolus cancelled, basal kept; pacemaker on its backup program) until a local clearance; an acknowledgement signed by another key is refused and audited high.',
  },
  {
    id: 'CTL-23',
    title: 'Safe error handling',
    description:
      'Errors are typed with stable ERR_* codes, each catalogued with meaning and remedy; the API answers `{ code, message }` problems without stack traces or internals, and the BLE GATT server an opaque ATT error; a controlled device enters its defined safe state on an integrity failure.',
    scope: ['gateway', 'device'],
    principles: ['confidentiality', 'availability'],
    code: [
      'packages/protocol/src/errors.ts',
      'packages/gateway/src/user-plane/http-errors.ts',
      'packages/ble-radio/src/radio/gatt-server.ts',
      'packages/devices/src/control/insulin-pump-therapy.ts',
    ],
    verification:
      'Malformed requests and failing handlers get a { code, message } problem with no stack trace; every exported error class has a catalogued code and every code a class, and the generated error reference matches; corrupt persisted state is refused with a typed error.',
  },
  {
    id: 'CTL-24',
    title: 'Anti-malware / execution integrity',
    description:
      'A device executes only firmware images signed by a key in its keyring (secure boot, CTL-13), and medsim loads no plug-ins or code at run time. There is no anti-malware scanner and no execution allow-list beyond that.',
    scope: ['device'],
    principles: ['integrity'],
    code: ['packages/devices/src/firmware/slot-verifier.ts', 'packages/firmware/src/image/image-key.ts'],
    verification: 'Loading an unsigned or non-allow-listed module is refused and logged (no test claims this control yet).',
  },
];
