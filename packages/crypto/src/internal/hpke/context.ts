/**
 * The RFC 9180 key schedule (§5.1) and encryption context (§5.2 sequence-numbered nonces, §5.3
 * secret export) on node:crypto. medsim uses a context for one key-confirmation message and for
 * the exporter; the data path then runs on exported keys (see session/).
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { AuthenticationFailedError } from '../../errors.js';
import { labeledExpand, labeledExtract } from './labeled-kdf.js';
import { AEADS, HASH_BYTES, MODE, NONCE_BYTES, TAG_BYTES, hpkeSuiteId, i2osp, type AeadId, type Mode } from './suite.js';

/** Inputs of the key schedule beyond the shared secret. */
export interface KeyScheduleInput {
  readonly mode: Mode;
  readonly aeadId: AeadId;
  readonly info: Uint8Array;
  /** Pre-shared key and its id, for the PSK modes (RFC 9180 §5.1.2); empty otherwise. */
  readonly psk?: Uint8Array;
  readonly pskId?: Uint8Array;
}

/** An HPKE context: Seal/Open with sequence-numbered nonces, and Export. */
export class HpkeContext {
  readonly key: Buffer;
  readonly baseNonce: Buffer;
  readonly exporterSecret: Buffer;
  readonly #suiteId: Buffer;
  // ChaCha20-Poly1305 (vectors only) takes the same 16-byte-tag options as the GCM ciphers.
  readonly #cipher: CipherGCMTypes;
  #sequence = 0;

  constructor(sharedSecret: Uint8Array, input: KeyScheduleInput) {
    const psk = input.psk ?? Buffer.alloc(0);
    const pskId = input.pskId ?? Buffer.alloc(0);
    const usesPsk = input.mode === MODE.psk || input.mode === MODE.authPsk;
    // RFC 9180 §5.1 VerifyPSKInputs: a PSK and its id go together, and only in the PSK modes.
    if ((psk.length === 0) !== (pskId.length === 0) || usesPsk !== psk.length > 0) {
      throw new RangeError('inconsistent PSK inputs for the mode');
    }
    const suiteId = hpkeSuiteId(input.aeadId);
    const empty = Buffer.alloc(0);
    const pskIdHash = labeledExtract(suiteId, empty, 'psk_id_hash', pskId);
    const infoHash = labeledExtract(suiteId, empty, 'info_hash', input.info);
    const context = Buffer.concat([Uint8Array.of(input.mode), pskIdHash, infoHash]);
    const secret = labeledExtract(suiteId, sharedSecret, 'secret', psk);
    const aead = AEADS[input.aeadId];
    this.key = labeledExpand(suiteId, secret, 'key', context, aead.keyBytes);
    this.baseNonce = labeledExpand(suiteId, secret, 'base_nonce', context, NONCE_BYTES);
    this.exporterSecret = labeledExpand(suiteId, secret, 'exp', context, HASH_BYTES);
    this.#suiteId = suiteId;
    this.#cipher = aead.name as CipherGCMTypes;
  }

  /** The sequence number the next Seal or Open will use. */
  get sequence(): number {
    return this.#sequence;
  }

  /** ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn) (RFC 9180 §5.2). */
  #nonce(): Buffer {
    const nonce = i2osp(this.#sequence, NONCE_BYTES);
    for (let i = 0; i < NONCE_BYTES; i++) nonce[i] = (nonce[i] ?? 0) ^ (this.baseNonce[i] ?? 0);
    return nonce;
  }

  #advance(): void {
    // RFC 9180 §5.2 forbids wrapping; medsim contexts seal one message, so 2^53 is far away.
    if (this.#sequence >= Number.MAX_SAFE_INTEGER) throw new RangeError('HPKE sequence exhausted');
    this.#sequence += 1;
  }

  /** ContextS.Seal(aad, pt): ciphertext followed by the 16-byte tag. */
  seal(aad: Uint8Array, plaintext: Uint8Array): Buffer {
    const cipher = createCipheriv(this.#cipher, this.key, this.#nonce(), { authTagLength: TAG_BYTES });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const out = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    this.#advance();
    return out;
  }

  /** ContextR.Open(aad, ct); throws AuthenticationFailedError and then does not advance. */
  open(aad: Uint8Array, ciphertext: Uint8Array): Buffer {
    if (ciphertext.length < TAG_BYTES) throw new AuthenticationFailedError('HPKE ciphertext shorter than its tag');
    const body = ciphertext.subarray(0, ciphertext.length - TAG_BYTES);
    const decipher = createDecipheriv(this.#cipher, this.key, this.#nonce(), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad, { plaintextLength: body.length });
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (cause) {
      throw new AuthenticationFailedError('HPKE open failed', { cause });
    }
    this.#advance();
    return plaintext;
  }

  /** Context.Export(exporter_context, L) (RFC 9180 §5.3). */
  export(exporterContext: Uint8Array, length: number): Buffer {
    return labeledExpand(this.#suiteId, this.exporterSecret, 'sec', exporterContext, length);
  }
}
