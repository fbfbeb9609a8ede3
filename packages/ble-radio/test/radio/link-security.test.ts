import { describe, expect, it } from 'vitest';
import { SMP_REASON, crackLegacyJustWorks } from '../../src/index.js';
import {
  LinkCipher,
  type LinkAddress,
  PairingInitiator,
  PairingResponder,
  type PairingPolicy,
  type PairingStep,
  type SmpPdu,
  decodeSmpPdu,
  encodeSmpPdu,
  linkNonce,
  linkSessionKey,
  openLinkPayload,
  sealLinkPayload,
} from '../../src/radio/link-security.js';

const CENTRAL: LinkAddress = { address: 'c2:11:22:33:44:55', type: 'random' };
const PERIPHERAL: LinkAddress = { address: 'c0:ff:ee:00:00:01', type: 'public' };

interface Transcript {
  readonly pdus: { readonly from: 'central' | 'peripheral'; readonly pdu: SmpPdu }[];
  readonly central?: PairingStep;
  readonly peripheral?: PairingStep;
}

/** Runs a pairing in memory; `tamper` may rewrite a PDU in flight (an active attacker). */
function pair(policy: PairingPolicy, requireMitm = false, tamper: (pdu: SmpPdu, from: 'central' | 'peripheral') => SmpPdu = (pdu) => pdu): Transcript {
  const initiator = new PairingInitiator(CENTRAL, PERIPHERAL, requireMitm);
  const responder = new PairingResponder(policy, CENTRAL, PERIPHERAL);
  const pdus: Transcript['pdus'][number][] = [];
  let central: PairingStep | undefined;
  let peripheral: PairingStep | undefined;
  const queue: { from: 'central' | 'peripheral'; pdu: SmpPdu }[] = [{ from: 'central', pdu: initiator.start() }];
  while (queue.length > 0) {
    const next = queue.shift();
    if (next === undefined) break;
    // Every PDU crosses the air as bytes.
    const pdu = decodeSmpPdu(encodeSmpPdu(tamper(next.pdu, next.from)));
    pdus.push({ from: next.from, pdu });
    if (next.from === 'central') {
      const step = responder.receive(pdu);
      if (step.outcome !== undefined || step.failure !== undefined) peripheral = step;
      queue.push(...step.send.map((out) => ({ from: 'peripheral' as const, pdu: out })));
    } else {
      const step = central?.failure === undefined ? initiator.receive(pdu) : { send: [] };
      if (step.outcome !== undefined || step.failure !== undefined) central = step;
      queue.push(...step.send.map((out) => ({ from: 'central' as const, pdu: out })));
    }
  }
  return { pdus, ...(central === undefined ? {} : { central }), ...(peripheral === undefined ? {} : { peripheral }) };
}

const valueOf = (transcript: Transcript, code: SmpPdu['code'], from: 'central' | 'peripheral'): Buffer => {
  const found = transcript.pdus.find((entry) => entry.from === from && entry.pdu.code === code)?.pdu;
  if (found === undefined || !('value' in found)) throw new Error(`no ${code} from ${from}`);
  return found.value;
};

describe('pairing (Bluetooth Core 5.4 Vol 3 Part H), modelled', () => {
  it('[CTL-07] LE Secure Connections Just Works: both sides derive the same LTK from P-256 ECDH; public keys cross the air', { tags: ['CTL-07'] }, () => {
    const transcript = pair('lesc-just-works');
    expect(transcript.pdus.map((entry) => `${entry.from}:${entry.pdu.code}`)).toEqual([
      'central:pairing-request',
      'peripheral:pairing-response',
      'central:pairing-public-key',
      'peripheral:pairing-public-key',
      'peripheral:pairing-confirm',
      'central:pairing-random',
      'peripheral:pairing-random',
      'central:pairing-dhkey-check',
      'peripheral:pairing-dhkey-check',
    ]);
    expect(transcript.central?.outcome?.method).toBe('lesc-just-works');
    expect(transcript.central?.outcome?.key).toEqual(transcript.peripheral?.outcome?.key);
    expect(transcript.central?.outcome?.key).toHaveLength(16);
  });

  it('[CTL-07] legacy Just Works: the same STK on both sides, and crackle\'s computation finds it from the air alone', { tags: ['CTL-07'] }, () => {
    const transcript = pair('legacy-just-works');
    const stk = transcript.central?.outcome?.key;
    expect(transcript.central?.outcome?.method).toBe('legacy-just-works');
    expect(stk).toEqual(transcript.peripheral?.outcome?.key);
    const request = transcript.pdus.find((entry) => entry.pdu.code === 'pairing-request')?.pdu;
    const response = transcript.pdus.find((entry) => entry.pdu.code === 'pairing-response')?.pdu;
    if (request === undefined || response === undefined || stk === undefined) throw new Error('incomplete transcript');
    const skdCentral = Buffer.alloc(8, 0xaa);
    const skdPeripheral = Buffer.alloc(8, 0x55);
    const cracked = crackLegacyJustWorks({
      preq: encodeSmpPdu(request),
      pres: encodeSmpPdu(response),
      initiator: CENTRAL,
      responder: PERIPHERAL,
      mconfirm: valueOf(transcript, 'pairing-confirm', 'central'),
      mrand: valueOf(transcript, 'pairing-random', 'central'),
      srand: valueOf(transcript, 'pairing-random', 'peripheral'),
      skdCentral,
      skdPeripheral,
    });
    expect(cracked?.stk).toEqual(stk);
    expect(cracked?.sessionKey).toEqual(linkSessionKey(stk, skdCentral, skdPeripheral));
  });

  it('[CTL-05] fails as the specification says: no pairing (0x05), MITM asked of Just Works (0x03), Secure Connections Only (0x03)', { tags: ['CTL-05'] }, () => {
    expect(pair('none').central?.failure?.reason).toBe(SMP_REASON.PAIRING_NOT_SUPPORTED);
    const mitm = pair('lesc-just-works', true);
    expect(mitm.central?.failure?.reason).toBe(SMP_REASON.AUTHENTICATION_REQUIREMENTS);
    expect(mitm.pdus.at(-1)?.pdu).toEqual({ code: 'pairing-failed', reason: SMP_REASON.AUTHENTICATION_REQUIREMENTS });
    // A legacy-only central (no SC bit) meets a LESC peripheral.
    const legacyCentral = pair('lesc-just-works', false, (pdu) => (pdu.code === 'pairing-request' ? { ...pdu, authReq: 0 } : pdu));
    expect(legacyCentral.peripheral?.failure?.reason).toBe(SMP_REASON.AUTHENTICATION_REQUIREMENTS);
  });

  it('[CTL-08] detects tampering in flight: a changed confirm value (0x04) or an invalid public key (0x0B)', { tags: ['CTL-08'] }, () => {
    const flip = (value: Buffer): Buffer => Buffer.from(value.map((byte, i) => (i === 0 ? byte ^ 1 : byte)));
    const confirm = pair('lesc-just-works', false, (pdu, from) => (pdu.code === 'pairing-confirm' && from === 'peripheral' ? { ...pdu, value: flip(pdu.value) } : pdu));
    expect(confirm.central?.failure?.reason).toBe(SMP_REASON.CONFIRM_VALUE_FAILED);
    const legacy = pair('legacy-just-works', false, (pdu, from) => (pdu.code === 'pairing-confirm' && from === 'central' ? { ...pdu, value: flip(pdu.value) } : pdu));
    expect(legacy.peripheral?.failure?.reason).toBe(SMP_REASON.CONFIRM_VALUE_FAILED);
    // The invalid-curve attack (CVE-2018-5383): a point that is not on P-256.
    const curve = pair('lesc-just-works', false, (pdu, from) => (pdu.code === 'pairing-public-key' && from === 'central' ? { ...pdu, y: flip(pdu.y) } : pdu));
    expect(curve.peripheral?.failure?.reason).toBe(SMP_REASON.DHKEY_CHECK_FAILED);
  });

  it('[CTL-09] refuses malformed SMP PDUs', { tags: ['CTL-09'] }, () => {
    expect(() => decodeSmpPdu(Buffer.from('0103', 'hex'))).toThrow(/expected 6/);
    expect(() => decodeSmpPdu(Buffer.from('ff', 'hex'))).toThrow(/unknown SMP/);
    expect(decodeSmpPdu(Buffer.from('0505', 'hex'))).toEqual({ code: 'pairing-failed', reason: 5 });
  });
});

describe('link encryption (Bluetooth Core 5.4 Vol 6 Part E): AES-128-CCM, 4-octet MIC', () => {
  const key = Buffer.from('99ad1b5226a37e3e058e3b8e27c2c666', 'hex');
  const iv = Buffer.from('24abdcbabebaafde', 'hex');

  it('builds the nonce from the 39-bit packet counter, the direction bit and the IV', () => {
    expect(linkNonce(1, 'central-to-peripheral', iv).toString('hex')).toBe('0100000080' + '24abdcbabebaafde');
    expect(linkNonce(2 ** 39 - 1, 'peripheral-to-central', iv).toString('hex')).toBe('ffffffff7f' + '24abdcbabebaafde');
  });

  it('[CTL-08] seals and opens; a flipped bit, the other direction or a replayed PDU fail the MIC', { tags: ['CTL-08'] }, () => {
    const plaintext = Buffer.from('0700040012060001', 'hex');
    const sealed = sealLinkPayload(key, iv, 0, 'central-to-peripheral', 0x02, plaintext);
    expect(sealed).toHaveLength(plaintext.length + 4);
    expect(openLinkPayload(key, iv, 0, 'central-to-peripheral', 0x02, sealed)).toEqual(plaintext);
    const flipped = Buffer.from(sealed);
    flipped[2] = (flipped[2] ?? 0) ^ 0x01;
    expect(openLinkPayload(key, iv, 0, 'central-to-peripheral', 0x02, flipped)).toBeUndefined();
    expect(openLinkPayload(key, iv, 0, 'peripheral-to-central', 0x02, sealed)).toBeUndefined();
    // The header is authenticated too (LLID changed from data to control).
    expect(openLinkPayload(key, iv, 0, 'central-to-peripheral', 0x03, sealed)).toBeUndefined();

    const sender = new LinkCipher(key, iv);
    const receiver = new LinkCipher(key, iv);
    const first = sender.seal('central-to-peripheral', 0x02, plaintext);
    const second = sender.seal('central-to-peripheral', 0x02, plaintext);
    // Same plaintext, next counter: different bytes on the air.
    expect(second.equals(first)).toBe(false);
    expect(receiver.open('central-to-peripheral', 0x02, first)).toEqual(plaintext);
    // Replaying the first PDU: the receiver expects counter 1 now.
    expect(receiver.open('central-to-peripheral', 0x02, first)).toBeUndefined();
    expect(receiver.open('central-to-peripheral', 0x02, second)).toEqual(plaintext);
  });
});
