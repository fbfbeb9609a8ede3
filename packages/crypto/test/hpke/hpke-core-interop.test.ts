/**
 * Our RFC 9180 implementation against @hpke/core 1.9.0 (WebCrypto) for the production suite
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM in Auth mode, both directions: the RFC
 * has no vectors for AES-256-GCM, so an independent implementation stands in for them.
 *
 * Keys come from DeriveKeyPair on fast-check's seeded bytes, ephemeral keys included (our encap()
 * takes one for vectors, @hpke/core its testing-only `ekm`), so a failure replays exactly. Each
 * direction makes the recipient key on one implementation and the sender key on the other, so raw
 * key conversion is exercised both ways.
 */
import fc from 'fast-check';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, OpenError } from '@hpke/core';
import { describe, expect, it } from 'vitest';
import { AuthenticationFailedError } from '../../src/errors.js';
import { HpkeContext } from '../../src/internal/hpke/context.js';
import { decap, deriveKeyPair, encap, publicKeyFromRaw, rawPublicKey } from '../../src/internal/hpke/dhkem-x25519.js';
import { hkdfExpand } from '../../src/internal/hpke/labeled-kdf.js';
import { AEAD_AES_256_GCM, MODE, hpkeSuiteId } from '../../src/internal/hpke/suite.js';

const seed = 20261128;
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

/** A copy in a fresh, exactly sized ArrayBuffer: a small Buffer's `.buffer` is Node's shared pool. */
const fresh = (bytes: Uint8Array | ArrayBuffer): Uint8Array => new Uint8Array(bytes).slice();

const ikm = fc.uint8Array({ minLength: 32, maxLength: 32 });
const message = fc.record({ pt: fc.uint8Array({ maxLength: 1024 }), aad: fc.uint8Array({ maxLength: 64 }) });
const round = fc.record({
  ikmR: ikm,
  ikmS: ikm,
  ikmE: ikm,
  info: fc.uint8Array({ maxLength: 64 }),
  messages: fc.array(message, { minLength: 3, maxLength: 3 }),
  // RFC 9180 §5.3 allows L up to 255 * Nh = 8160 bytes, but @hpke/core 1.9.0 agrees only below 256
  // (see the last test); medsim exports 32-byte keys.
  exports: fc.array(fc.record({ context: fc.uint8Array({ maxLength: 32 }), length: fc.integer({ min: 1, max: 255 }) }), { minLength: 2, maxLength: 2 }),
});

/** One ikm's key pair on both implementations (node KeyObjects, WebCrypto CryptoKeys); checks they match. */
async function bothKeyPairs(seedBytes: Uint8Array) {
  const ours = deriveKeyPair(seedBytes);
  const theirs = await suite.kem.deriveKeyPair(fresh(seedBytes));
  expect(Buffer.from(await suite.kem.serializePublicKey(theirs.publicKey))).toEqual(rawPublicKey(ours.publicKey));
  return { ours, theirs };
}

describe('HPKE interop with @hpke/core: DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, Auth mode', () => {
  it('[CTL-07][CTL-11] our sender -> @hpke/core recipient: 3 messages open in order and exports agree (25 rounds)', { tags: ['CTL-07', 'CTL-11'] }, async () => {
    await fc.assert(
      fc.asyncProperty(round, async ({ ikmR, ikmS, ikmE, info, messages, exports }) => {
        const recipientCore = await suite.kem.deriveKeyPair(fresh(ikmR));
        const sender = deriveKeyPair(ikmS);

        const pkR = publicKeyFromRaw(fresh(await suite.kem.serializePublicKey(recipientCore.publicKey)));
        const { enc, sharedSecret } = encap(pkR, sender, deriveKeyPair(ikmE));
        const ours = new HpkeContext(sharedSecret, { mode: MODE.auth, aeadId: AEAD_AES_256_GCM, info });

        const theirs = await suite.createRecipientContext({
          recipientKey: recipientCore,
          enc: fresh(enc),
          senderPublicKey: await suite.kem.deserializePublicKey(fresh(rawPublicKey(sender.publicKey))),
          info,
        });
        // Argument order differs: ours follows RFC 9180's Seal(aad, pt) and Open(aad, ct); @hpke/core takes (data, aad).
        for (const { pt, aad } of messages) {
          expect(Buffer.from(await theirs.open(ours.seal(aad, pt), aad))).toEqual(Buffer.from(pt));
        }
        for (const { context, length } of exports) {
          expect(Buffer.from(await theirs.export(context, length))).toEqual(ours.export(context, length));
        }
      }),
      { seed, numRuns: 25 },
    );
  });

  it('[CTL-07][CTL-11] @hpke/core sender -> our recipient: 3 messages open in order and exports agree (25 rounds)', { tags: ['CTL-07', 'CTL-11'] }, async () => {
    await fc.assert(
      fc.asyncProperty(round, async ({ ikmR, ikmS, ikmE, info, messages, exports }) => {
        const recipient = deriveKeyPair(ikmR);
        const senderCore = await suite.kem.deriveKeyPair(fresh(ikmS));

        const theirs = await suite.createSenderContext({
          recipientPublicKey: await suite.kem.deserializePublicKey(fresh(rawPublicKey(recipient.publicKey))),
          senderKey: senderCore,
          info,
          ekm: fresh(ikmE),
        });
        const pkS = publicKeyFromRaw(fresh(await suite.kem.serializePublicKey(senderCore.publicKey)));
        const ours = new HpkeContext(decap(fresh(theirs.enc), recipient, pkS), { mode: MODE.auth, aeadId: AEAD_AES_256_GCM, info });

        for (const { pt, aad } of messages) {
          expect(ours.open(aad, fresh(await theirs.seal(pt, aad)))).toEqual(Buffer.from(pt));
        }
        for (const { context, length } of exports) {
          expect(ours.export(context, length)).toEqual(Buffer.from(await theirs.export(context, length)));
        }
      }),
      { seed, numRuns: 25 },
    );
  });

  it('[CTL-11] DeriveKeyPair agrees: the same ikm gives the same X25519 public key on both (25 rounds)', { tags: ['CTL-11'] }, async () => {
    await fc.assert(
      fc.asyncProperty(ikm, async (seedBytes) => {
        await bothKeyPairs(seedBytes);
      }),
      { seed, numRuns: 25 },
    );
  });

  it('[CTL-05][CTL-07] Auth mode authenticates the sender: the wrong sender public key fails to open on both implementations', { tags: ['CTL-05', 'CTL-07'] }, async () => {
    const encoder = new TextEncoder();
    const info = encoder.encode('pulse-ox-0001/session');
    const pt = encoder.encode('SpO2 97 %');
    const aad = encoder.encode('header');
    const recipient = await bothKeyPairs(fresh(Buffer.alloc(32, 1)));
    const sender = await bothKeyPairs(fresh(Buffer.alloc(32, 2)));
    const impostor = await bothKeyPairs(fresh(Buffer.alloc(32, 3)));
    const ephemeral = deriveKeyPair(Buffer.alloc(32, 4));

    // Sealed by our sender to the recipient, opened by @hpke/core naming the impostor as sender.
    const ours = encap(recipient.ours.publicKey, sender.ours, ephemeral);
    const ct = new HpkeContext(ours.sharedSecret, { mode: MODE.auth, aeadId: AEAD_AES_256_GCM, info }).seal(aad, pt);
    const open = async (claimedSender: typeof sender) => {
      const context = await suite.createRecipientContext({ recipientKey: recipient.theirs, enc: fresh(ours.enc), senderPublicKey: claimedSender.theirs.publicKey, info });
      return context.open(fresh(ct), aad);
    };
    await expect(open(impostor)).rejects.toBeInstanceOf(OpenError);
    // The same ciphertext with the right sender opens: the refusal came from the sender key alone.
    expect(Buffer.from(await open(sender))).toEqual(Buffer.from(pt));

    // Sealed by @hpke/core's sender, opened by us naming the impostor as sender.
    const theirs = await suite.createSenderContext({ recipientPublicKey: recipient.theirs.publicKey, senderKey: sender.theirs, info });
    const ct2 = fresh(await theirs.seal(pt, aad));
    const opener = (claimedSender: typeof sender) =>
      new HpkeContext(decap(fresh(theirs.enc), recipient.ours, claimedSender.ours.publicKey), { mode: MODE.auth, aeadId: AEAD_AES_256_GCM, info });
    expect(() => opener(impostor).open(aad, ct2)).toThrow(AuthenticationFailedError);
    expect(opener(sender).open(aad, ct2)).toEqual(Buffer.from(pt));
  });

  it('[CTL-11] Export with L >= 256: ours follows RFC 9180 §4 I2OSP(L, 2); @hpke/core 1.9.0 encodes only L mod 256 (known deviation)', { tags: ['CTL-11'] }, async () => {
    // @hpke/common 1.10.1 HkdfNative.buildLabeledInfo writes `new Uint8Array([0, len])`, so its
    // labeled_info starts 00 00 for L = 256. This pins that deviation: when an upgrade fixes it,
    // this test fails, and the interop rounds above can widen L to 8160.
    const recipient = await bothKeyPairs(fresh(Buffer.alloc(32, 5)));
    const sender = deriveKeyPair(Buffer.alloc(32, 6));
    const info = new TextEncoder().encode('export-length');
    const { enc, sharedSecret } = encap(recipient.ours.publicKey, sender, deriveKeyPair(Buffer.alloc(32, 7)));
    const ours = new HpkeContext(sharedSecret, { mode: MODE.auth, aeadId: AEAD_AES_256_GCM, info });
    const theirs = await suite.createRecipientContext({
      recipientKey: recipient.theirs,
      enc: fresh(enc),
      senderPublicKey: await suite.kem.deserializePublicKey(fresh(rawPublicKey(sender.publicKey))),
      info,
    });
    // RFC 9180 §5.3 Export = LabeledExpand(exporter_secret, "sec", exporter_context, L), spelled out
    // with the length prefix as a parameter: I2OSP(L, 2) || "HPKE-v1" || suite_id || "sec" || context.
    const exportWithPrefix = (prefix: number[], length: number) =>
      hkdfExpand(ours.exporterSecret, Buffer.concat([Buffer.from(prefix), Buffer.from('HPKE-v1'), hpkeSuiteId(AEAD_AES_256_GCM), Buffer.from('sec')]), length);
    const context = new Uint8Array(0);
    for (const length of [32, 255, 256, 300, 8160]) {
      const rfc = exportWithPrefix([length >> 8, length & 0xff], length);
      expect(ours.export(context, length), `ours, L = ${length}`).toEqual(rfc);
      const core = Buffer.from(await theirs.export(context, length));
      expect(core, `@hpke/core, L = ${length}`).toEqual(exportWithPrefix([0, length & 0xff], length));
      expect(core.equals(rfc), `@hpke/core agrees with the RFC, L = ${length}`).toBe(length < 256);
    }
  });
});
