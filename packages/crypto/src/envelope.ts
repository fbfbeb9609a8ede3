/**
 * Decoding the clear parts of a sealed envelope: the framing and the authenticated header. Used
 * by SecureSession.open() and by SessionRegistry, which routes on the header's key id.
 */
import { AEAD_TAG_BYTES, ProtocolError, decodeMessage, type DecodedEnvelope } from '@medsim/protocol';
import { TruncatedInputError } from './errors.js';

/**
 * Decodes framing and header. An envelope that ends early (framing past the input, a missing
 * ciphertext, a ciphertext shorter than a tag) is TruncatedInputError (C4); other defects are
 * the protocol's typed errors.
 */
export function decodeEnvelope(bytes: Uint8Array): DecodedEnvelope {
  let sealed;
  try {
    sealed = decodeMessage('SealedEnvelope', bytes);
  } catch (error) {
    if (error instanceof ProtocolError && (error.code === 'ERR_PROTOCOL_TRUNCATED' || error.code === 'ERR_PROTOCOL_MISSING_FIELD')) {
      throw new TruncatedInputError('envelope ends before its ciphertext does', { cause: error });
    }
    throw error;
  }
  if (sealed.ciphertext.length < AEAD_TAG_BYTES) {
    throw new TruncatedInputError('ciphertext is shorter than an AES-GCM tag');
  }
  return { headerBytes: sealed.header, header: decodeMessage('EnvelopeHeader', sealed.header), ciphertext: sealed.ciphertext };
}
