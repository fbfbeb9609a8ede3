/**
 * The TLS policy of every listener devices connect to (the MQTT device plane and the firmware
 * update endpoint), in one place: mutual TLS with a client certificate from the local CA, TLS 1.3,
 * or 1.2 with ECDHE and AEAD suites only (CTL-05, CTL-06), and a handshake deadline.
 */
import type { TlsOptions } from 'node:tls';
import type { TlsMaterial } from '../context.js';

/** TLS 1.2 suites allowed: ECDHE with AEAD only (TLS 1.3 suites are all AEAD). */
export const TLS12_AEAD_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
].join(':');

/** Server options of a device listener: the gateway's certificate, client certificates required. */
export function deviceListenerTls(tls: TlsMaterial, handshakeTimeoutMs: number): TlsOptions {
  return {
    key: tls.keyPem,
    cert: tls.certPem,
    ca: [tls.caPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ciphers: TLS12_AEAD_CIPHERS,
    handshakeTimeout: handshakeTimeoutMs,
  };
}
