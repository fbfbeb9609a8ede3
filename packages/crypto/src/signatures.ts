/**
 * Ed25519 signatures: raw and domain-separated detached signatures on node:crypto (therapy
 * commands, firmware image headers), and compact JWS with jose (manifests, update instructions).
 * Verification never returns false to a caller that might forget to check: it throws.
 */
import { sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, errors as joseErrors } from 'jose';
import { MalformedTokenError, SignatureInvalidError } from './errors.js';
import type { Identity, KeyEntry } from './identity.js';
import { privateKeysOf } from './internal/private-keys.js';

/** Raw Ed25519 signature (RFC 8032) of `message`. */
export function ed25519Sign(privateKey: KeyObject, message: Uint8Array): Buffer {
  return nodeSign(null, message, privateKey);
}

/** Raw Ed25519 verification; false for any malformed key, signature or mismatch. */
export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return nodeVerify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

// Domain separation: a signature made for one purpose never verifies for another.
const labelled = (label: string, message: Uint8Array): Buffer => Buffer.concat([Buffer.from(label, 'utf8'), Uint8Array.of(0), message]);

/** Signs UTF-8(label) || 0x00 || message with the identity's Ed25519 key. */
export function signDetached(identity: Identity, label: string, message: Uint8Array): Buffer {
  return ed25519Sign(privateKeysOf(identity).signing, labelled(label, message));
}

/** Verifies a signDetached() signature; throws SignatureInvalidError. */
export function verifyDetached(signer: KeyEntry, label: string, message: Uint8Array, signature: Uint8Array): void {
  if (signer.jwk.crv !== 'Ed25519' || !ed25519Verify(signer.key, labelled(label, message), signature)) {
    throw new SignatureInvalidError(`${label} signature did not verify`, { details: { kid: signer.kid } });
  }
}

/** The only JWS algorithm medsim signs or accepts (RFC 9864 fully specified Ed25519). */
export const JWS_ALGORITHM = 'Ed25519';

/** Signs `payload` as a compact JWS with header {alg: Ed25519, typ, kid}. */
export async function signJws(identity: Identity, payload: Uint8Array, typ: string): Promise<string> {
  return new CompactSign(payload)
    .setProtectedHeader({ alg: JWS_ALGORITHM, typ, kid: identity.public.signing.kid })
    .sign(privateKeysOf(identity).signing);
}

/** A verified JWS. */
export interface VerifiedJws {
  readonly payload: Uint8Array;
  readonly kid: string;
}

/**
 * Verifies a compact JWS: algorithm allow-list (Ed25519 only), the expected `typ`, and a `kid`
 * that `resolveKey` knows. Throws SignatureInvalidError or MalformedTokenError.
 */
export async function verifyJws(jws: string, resolveKey: (kid: string) => KeyEntry | undefined, typ: string): Promise<VerifiedJws> {
  let kid = '';
  try {
    const result = await compactVerify(
      jws,
      (header) => {
        if (typeof header.kid !== 'string') throw new SignatureInvalidError('JWS has no kid');
        const entry = resolveKey(header.kid);
        if (entry === undefined || entry.jwk.crv !== 'Ed25519') throw new SignatureInvalidError('JWS kid is not a known signing key');
        kid = header.kid;
        return entry.key;
      },
      { algorithms: [JWS_ALGORITHM] },
    );
    if (result.protectedHeader.typ !== typ) throw new SignatureInvalidError(`JWS typ is not ${typ}`);
    return { payload: result.payload, kid };
  } catch (error) {
    if (error instanceof SignatureInvalidError) throw error;
    if (error instanceof joseErrors.JWSInvalid) throw new MalformedTokenError('JWS is not well formed', { cause: error });
    throw new SignatureInvalidError('JWS did not verify', { cause: error });
  }
}
