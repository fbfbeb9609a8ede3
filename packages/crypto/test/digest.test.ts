import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sha256Stream } from '@medsim/crypto';

// Plain generators: sha256Stream takes any (async) iterable of chunks.
function* chunks(data: Buffer, size: number): Generator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

function* endless(): Generator<Uint8Array> {
  for (;;) yield Buffer.alloc(65_536);
}

describe('streaming SHA-256 with limits', () => {
  it('[CTL-12] equals the one-shot digest for any chunking', { tags: ['CTL-12'] }, async () => {
    const data = randomBytes(1_000_003);
    const expected = createHash('sha256').update(data).digest('hex');
    for (const size of [1, 4096, 65_536, 2_000_000]) {
      const { sha256, bytes } = await sha256Stream(size === 1 ? Readable.from(chunks(data.subarray(0, 10_000), 1)) : chunks(data, size), { maxBytes: 2_000_000 });
      if (size === 1) expect(sha256.toString('hex')).toBe(createHash('sha256').update(data.subarray(0, 10_000)).digest('hex'));
      else expect(sha256.toString('hex')).toBe(expected);
      expect(bytes).toBe(size === 1 ? 10_000 : data.length);
    }
  });

  it('[CTL-12][CTL-16] cuts off endless data at the limit and short data at the declared length', { tags: ['CTL-12', 'CTL-16'] }, async () => {
    await expect(sha256Stream(endless(), { maxBytes: 1_000_000 })).rejects.toMatchObject({ code: 'ERR_CRYPTO_TOO_LARGE' });
    const data = randomBytes(1000);
    await expect(sha256Stream(chunks(data, 100), { maxBytes: 10_000, expectedBytes: 999 })).rejects.toMatchObject({ code: 'ERR_CRYPTO_TOO_LARGE' });
    await expect(sha256Stream(chunks(data, 100), { maxBytes: 10_000, expectedBytes: 1001 })).rejects.toMatchObject({ code: 'ERR_CRYPTO_TRUNCATED' });
  });
});
