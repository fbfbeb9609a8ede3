/** Base-128 varints (protobuf encoding) for non-negative integers up to 2^53 - 1. */

/** Bytes the varint of `value` takes. */
export function varintLength(value: number): number {
  let length = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) length += 1;
  return length;
}

/** Writes the varint of `value` at `offset`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  let v = value;
  let at = offset;
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  return at;
}

/** A length-delimited field's tag and length prefix: `tag` then the varint of `length`. */
export function delimitedPrefix(tag: number, length: number): Buffer {
  const prefix = Buffer.allocUnsafe(1 + varintLength(length));
  prefix[0] = tag;
  writeVarint(prefix, 1, length);
  return prefix;
}
