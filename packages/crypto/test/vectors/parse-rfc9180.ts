/**
 * Parser for the RFC 9180 Appendix A test vectors in their published text form
 * (rfc9180-appendix-a.txt). The RFC prints each setup block as `name: hex` lines inside `~~~`
 * fences, and a hex value may wrap onto following lines; "Encryptions" and "Exported Values" hold
 * blank-line-separated records. The parser is strict: a line it does not understand, a missing
 * field or odd-length hex throws, so a damaged file cannot quietly shrink the test.
 */

/** One entry of a block's "Encryptions" list (RFC 9180 A.x.y.1). */
export interface Rfc9180Encryption {
  readonly sequenceNumber: number;
  readonly pt: Buffer;
  readonly aad: Buffer;
  /** base_nonce XOR sequence number; not observable through a context, listed for completeness. */
  readonly nonce: Buffer;
  readonly ct: Buffer;
}

/** One entry of a block's "Exported Values" list (RFC 9180 A.x.y.2). */
export interface Rfc9180Export {
  readonly exporterContext: Buffer;
  readonly length: number;
  readonly exportedValue: Buffer;
}

/** A key pair of a block: the DeriveKeyPair input and its outputs (ikmX, pkXm, skXm). */
export interface Rfc9180KeyPair {
  readonly ikm: Buffer;
  readonly pk: Buffer;
  readonly sk: Buffer;
}

/** One setup block: a suite in one mode, with its encryptions and exported values. */
export interface Rfc9180Vector {
  /** Section and title, e.g. "A.1.3 AES-128-GCM Auth". */
  readonly name: string;
  readonly mode: number;
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  readonly info: Buffer;
  /** ikmE, pkEm, skEm. */
  readonly ephemeral: Rfc9180KeyPair;
  /** ikmR, pkRm, skRm. */
  readonly recipient: Rfc9180KeyPair;
  /** ikmS, pkSm, skSm: the sender's static key, Auth and AuthPSK modes only. */
  readonly sender?: Rfc9180KeyPair;
  /** psk and psk_id: PSK and AuthPSK modes only. */
  readonly psk?: { readonly psk: Buffer; readonly pskId: Buffer };
  readonly enc: Buffer;
  readonly sharedSecret: Buffer;
  /** Key schedule intermediates (RFC 9180 §5.1). */
  readonly keyScheduleContext: Buffer;
  readonly secret: Buffer;
  readonly key: Buffer;
  readonly baseNonce: Buffer;
  readonly exporterSecret: Buffer;
  readonly encryptions: readonly Rfc9180Encryption[];
  readonly exports: readonly Rfc9180Export[];
}

/** Field name → value text (hex or decimal), wrapped lines joined. */
type Fields = Map<string, string>;

interface RawBlock {
  readonly name: string;
  readonly modeTitle: string;
  readonly setup: Fields;
  readonly encryptions: Fields[];
  readonly exports: Fields[];
}

// RFC 9180 §5 mode ids by the block titles the appendix uses ("Auth Setup Information").
const MODE_IDS: Readonly<Record<string, number>> = { Base: 0, PSK: 1, Auth: 2, AuthPSK: 3 };

const FIELD_LINE = /^([A-Za-z_ ]+):\s*([0-9a-f]*)$/;
const HEX_LINE = /^[0-9a-f]+$/;

/** Parses every setup block of the appendix text, in file order. */
export function parseRfc9180Vectors(text: string): Rfc9180Vector[] {
  return splitBlocks(text).map(toVector);
}

function splitBlocks(text: string): RawBlock[] {
  const blocks: RawBlock[] = [];
  let suiteNumber = 0;
  let suiteName = '';
  let block: RawBlock | undefined;
  let part: 'setup' | 'encryptions' | 'exports' = 'setup';
  let inFence = false;
  let record: Fields | undefined;
  let lastField: string | undefined;

  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const where = `rfc9180-appendix-a.txt:${index + 1}`;
    if (line.startsWith('## ')) {
      // "## DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM" opens A.1, the next one A.2.
      suiteNumber += 1;
      suiteName = line.split(', ').at(-1) ?? '';
      block = undefined;
    } else if (line.startsWith('### ')) {
      const modeTitle = line.slice(4).replace(/ Setup Information$/, '');
      if (suiteNumber === 0) throw new Error(`${where}: setup block before any suite heading`);
      const blockNumber = blocks.filter((b) => b.name.startsWith(`A.${suiteNumber}.`)).length + 1;
      block = { name: `A.${suiteNumber}.${blockNumber} ${suiteName} ${modeTitle}`, modeTitle, setup: new Map(), encryptions: [], exports: [] };
      blocks.push(block);
      part = 'setup';
    } else if (line === '#### Encryptions') {
      part = 'encryptions';
    } else if (line === '#### Exported Values') {
      part = 'exports';
    } else if (line === '~~~') {
      inFence = !inFence;
      record = undefined;
    } else if (!inFence) {
      if (line.trim() !== '' && !line.startsWith('# ')) throw new Error(`${where}: unexpected text outside a value block`);
    } else if (line.trim() === '') {
      // A blank line ends an encryption or export record.
      record = undefined;
    } else {
      if (block === undefined) throw new Error(`${where}: values outside a setup block`);
      const field = FIELD_LINE.exec(line);
      if (field !== null) {
        const [, name = '', value = ''] = field;
        if (record === undefined) {
          record = part === 'setup' ? block.setup : new Map();
          if (part !== 'setup') block[part].push(record);
        }
        if (record.has(name)) throw new Error(`${where}: ${name} repeated within one record`);
        record.set(name, value);
        lastField = name;
      } else if (HEX_LINE.test(line) && record !== undefined && lastField !== undefined) {
        record.set(lastField, (record.get(lastField) ?? '') + line);
      } else {
        throw new Error(`${where}: not a "name: value" line or a hex continuation`);
      }
    }
  }
  if (inFence) throw new Error('rfc9180-appendix-a.txt: unterminated ~~~ block');
  return blocks;
}

function toVector(raw: RawBlock): Rfc9180Vector {
  const { setup } = raw;
  const hex = (fields: Fields, name: string): Buffer => hexOf(raw.name, fields, name);
  const keyPair = (x: string): Rfc9180KeyPair => ({ ikm: hex(setup, `ikm${x}`), pk: hex(setup, `pk${x}m`), sk: hex(setup, `sk${x}m`) });
  const mode = int(raw.name, setup, 'mode');
  if (MODE_IDS[raw.modeTitle] !== mode) throw new Error(`${raw.name}: mode ${mode} does not match the title`);
  // RFC 9180 §5: the Auth modes add a sender key, the PSK modes a PSK (bit 1 and bit 0 of the mode).
  const hasSender = (mode & 2) !== 0;
  const hasPsk = (mode & 1) !== 0;
  if (setup.has('ikmS') !== hasSender || setup.has('psk') !== hasPsk) throw new Error(`${raw.name}: fields do not fit mode ${mode}`);

  return {
    name: raw.name,
    mode,
    kemId: int(raw.name, setup, 'kem_id'),
    kdfId: int(raw.name, setup, 'kdf_id'),
    aeadId: int(raw.name, setup, 'aead_id'),
    info: hex(setup, 'info'),
    ephemeral: keyPair('E'),
    recipient: keyPair('R'),
    ...(hasSender ? { sender: keyPair('S') } : {}),
    ...(hasPsk ? { psk: { psk: hex(setup, 'psk'), pskId: hex(setup, 'psk_id') } } : {}),
    enc: hex(setup, 'enc'),
    sharedSecret: hex(setup, 'shared_secret'),
    keyScheduleContext: hex(setup, 'key_schedule_context'),
    secret: hex(setup, 'secret'),
    key: hex(setup, 'key'),
    baseNonce: hex(setup, 'base_nonce'),
    exporterSecret: hex(setup, 'exporter_secret'),
    encryptions: raw.encryptions.map((e) => ({
      sequenceNumber: int(raw.name, e, 'sequence number'),
      pt: hex(e, 'pt'),
      aad: hex(e, 'aad'),
      nonce: hex(e, 'nonce'),
      ct: hex(e, 'ct'),
    })),
    exports: raw.exports.map((e) => ({
      exporterContext: hex(e, 'exporter_context'),
      length: int(raw.name, e, 'L'),
      exportedValue: hex(e, 'exported_value'),
    })),
  };
}

function hexOf(block: string, fields: Fields, name: string): Buffer {
  const value = fields.get(name);
  if (value === undefined) throw new Error(`${block}: missing ${name}`);
  if (value.length % 2 !== 0) throw new Error(`${block}: ${name} has an odd number of hex digits`);
  return Buffer.from(value, 'hex');
}

function int(block: string, fields: Fields, name: string): number {
  const value = fields.get(name);
  if (value === undefined || !/^\d+$/.test(value)) throw new Error(`${block}: ${name} is not a decimal number`);
  return Number(value);
}
