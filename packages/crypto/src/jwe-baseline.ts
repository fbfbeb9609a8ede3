/**
 * The comparison and interoperability path: one compact JWE per reading with jose,
 * ECDH-ES+A256KW key agreement on X25519 and A256GCM content encryption (RFC 7516, RFC 8037).
 * Every message costs an ephemeral X25519 agreement and a key wrap, which is what the session
 * design avoids (npm run bench prints the difference). Its real use is export: a reading any
 * JOSE library can open.
 */
import { vitalSignReadingToJson, type VitalSignReading } from '@medsim/protocol';
import { CompactEncrypt, compactDecrypt, errors as joseErrors } from 'jose';
import { AuthenticationFailedError, MalformedTokenError } from './errors.js';
import type { Identity, KeyEntry } from './identity.js';
import { privateKeysOf } from './internal/private-keys.js';

/** Key management algorithm of the baseline. */
export const JWE_KEY_ALGORITHM = 'ECDH-ES+A256KW';
/** Content encryption algorithm of the baseline. */
export const JWE_CONTENT_ALGORITHM = 'A256GCM';

/** Encrypts `plaintext` to an X25519 key as a compact JWE. */
export async function sealJwe(plaintext: Uint8Array, recipient: KeyEntry, contentType = 'application/octet-stream'): Promise<string> {
  if (recipient.jwk.crv !== 'X25519') throw new TypeError('JWE recipient must be an X25519 key');
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: JWE_KEY_ALGORITHM, enc: JWE_CONTENT_ALGORITHM, kid: recipient.kid, cty: contentType })
    .encrypt(recipient.key);
}

/** A decrypted JWE. */
export interface OpenedJwe {
  readonly plaintext: Uint8Array;
  readonly contentType: string | undefined;
}

/** Decrypts a compact JWE with the identity's X25519 key (allow-listed algorithms only). */
export async function openJwe(jwe: string, recipient: Identity): Promise<OpenedJwe> {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, privateKeysOf(recipient).agreement.privateKey, {
      keyManagementAlgorithms: [JWE_KEY_ALGORITHM],
      contentEncryptionAlgorithms: [JWE_CONTENT_ALGORITHM],
    });
    return { plaintext, contentType: protectedHeader.cty };
  } catch (error) {
    if (error instanceof joseErrors.JWEDecryptionFailed) throw new AuthenticationFailedError('JWE did not decrypt', { cause: error });
    throw new MalformedTokenError('JWE is not well formed or uses a disallowed algorithm', { cause: error });
  }
}

/** Media type of an exported reading. */
export const READING_JSON_MEDIA_TYPE = 'application/vnd.medsim.reading+json';

/**
 * Exports a reading as a compact JWE of its JSON form (vitalSignReadingToJson) to a recipient's
 * X25519 key: any JOSE library with ECDH-ES+A256KW and A256GCM can open it.
 */
export async function exportReadingAsJwe(deviceId: string, reading: VitalSignReading, recipient: KeyEntry): Promise<string> {
  const json = JSON.stringify(vitalSignReadingToJson(deviceId, reading));
  return sealJwe(Buffer.from(json, 'utf8'), recipient, READING_JSON_MEDIA_TYPE);
}
