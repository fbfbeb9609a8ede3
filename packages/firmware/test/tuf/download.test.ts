/**
 * Image download on the device: resume after an interruption or a reboot, and the refusals that
 * must come before or during the transfer: rollback and wrong model before any byte moves (U2, U3),
 * a target the verified metadata does not list (U8), endless data (U6), slow retrieval (U7) and a
 * substituted image (U1). The sink is never told "complete" unless the length and SHA-256 match.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { MetadataKind } from '@tufjs/models';
import { describe, expect, it } from 'vitest';
import { DownloadCheckpoint, assertInstallable, isResumable, latestVersion, storedTargetPath, type FetchOptions, type Fetcher, type FirmwareTarget } from '../../src/index.js';
import { MemorySink, codeOf, errorOf, forge, latest, newDevice, newRepository, release } from './fixture.js';

const ULTRASOUND = { model: 'ultrasound', version: '0.9.0', securityCounter: 1 };

/** The image path of a target. */
const imagePath = (target: FirmwareTarget): string => storedTargetPath(target.path, target.sha256);

/** A device refreshed against a fresh repository; `serve` replaces the image transfer (other files unchanged). */
async function device(serve?: (inner: Fetcher, path: string, options: FetchOptions) => AsyncIterable<Uint8Array>, limits = {}) {
  const repo = newRepository();
  const requests: { path: string; offset: number }[] = [];
  const d = await newDevice(repo.root, repo.files, limits, (inner) => ({
    fetch(path, options) {
      requests.push({ path, offset: options.offset });
      return serve !== undefined && path.startsWith('targets/') ? serve(inner, path, options) : inner.fetch(path, options);
    },
  }));
  await d.client.refresh();
  const target = (await d.client.targetFor('ultrasound'))!;
  const image = repo.files.get(imagePath(target))!;
  return { ...repo, ...d, requests, target, image };
}

describe('resume', () => {
  it('[CTL-12] resumes an interrupted download from its checkpoint with a range request', { tags: ['CTL-12'] }, async () => {
    let attempts = 0;
    const d = await device(async function* (inner, path, options) {
      attempts += 1;
      let sent = 0;
      for await (const chunk of inner.fetch(path, options)) {
        if (attempts === 1 && sent >= 2048) throw new Error('connection reset');
        sent += chunk.length;
        yield chunk;
      }
    });
    const sink = new MemorySink();
    const checkpoint = new DownloadCheckpoint(d.target);
    const interrupted = await errorOf(d.client.download(d.target, sink, { installed: ULTRASOUND, checkpoint }));
    expect(interrupted.code).toBe('ERR_FW_DOWNLOAD_INTERRUPTED');
    expect(isResumable(interrupted)).toBe(true);
    expect(checkpoint.offset).toBe(2048);
    expect(sink.completed).toBeUndefined();

    expect(await d.client.download(d.target, sink, { installed: ULTRASOUND, checkpoint })).toEqual({ path: d.target.path, length: d.target.length, sha256: d.target.sha256 });
    expect(d.requests.filter((r) => r.path.startsWith('targets/')).map((r) => r.offset)).toEqual([0, 2048]);
    expect(sink.bytes().equals(Buffer.from(d.image))).toBe(true);
    expect(Buffer.from(sink.completed!).toString('hex')).toBe(d.target.sha256);
  });

  it('[CTL-12] resumes after a reboot from the bytes the slot holds', { tags: ['CTL-12'] }, async () => {
    const d = await device();
    const held = d.image.subarray(0, 3000);
    const checkpoint = DownloadCheckpoint.fromWritten(d.target, [held.subarray(0, 1000), held.subarray(1000)]);
    const sink = new MemorySink();
    sink.write(held, 0);
    await d.client.download(d.target, sink, { installed: ULTRASOUND, checkpoint });
    expect(sink.bytes().equals(Buffer.from(d.image))).toBe(true);
    expect(d.requests.at(-1)).toEqual({ path: imagePath(d.target), offset: 3000 });
    expect(() => DownloadCheckpoint.fromWritten(d.target, [d.image, new Uint8Array(1)])).toThrow(expect.objectContaining({ code: 'ERR_FW_DOWNLOAD_TOO_LARGE' }));
  });
});

describe('refused before any byte moves', () => {
  it('[CTL-12][U3] refuses a target not newer than the installed firmware, by version or security counter', { tags: ['CTL-12', 'U3'] }, async () => {
    const d = await device();
    const checkpoint = new DownloadCheckpoint(d.target);
    for (const installed of [
      { model: 'ultrasound', version: '1.0.0', securityCounter: 1 },
      { model: 'ultrasound', version: '2.0.0', securityCounter: 0 },
      { model: 'ultrasound', version: '0.9.0', securityCounter: 2 },
    ]) {
      expect(await codeOf(d.client.download(d.target, new MemorySink(), { installed, checkpoint }))).toBe('ERR_FW_UPDATE_ROLLBACK');
    }
    expect(d.requests.some((r) => r.path.startsWith('targets/'))).toBe(false);
  });

  it('[CTL-12][U3] allows exactly the newer versions whose counter does not go down (property)', { tags: ['CTL-12', 'U3'] }, () => {
    const version = fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3));
    const newer = (a: number[], b: number[]): boolean => (a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!) > 0;
    fc.assert(
      fc.property(version, version, fc.nat(4), fc.nat(4), (installed, offered, installedCounter, offeredCounter) => {
        const allowed = newer(offered, installed) && offeredCounter >= installedCounter;
        let refusal: string | undefined;
        try {
          assertInstallable({ model: 'pump', version: offered.join('.'), securityCounter: offeredCounter }, { model: 'pump', version: installed.join('.'), securityCounter: installedCounter });
        } catch (error) {
          refusal = (error as { code: string }).code;
        }
        expect(refusal).toBe(allowed ? undefined : 'ERR_FW_UPDATE_ROLLBACK');
      }),
      { seed: 0x7f0e, numRuns: 300 },
    );
  });

  it('[CTL-12][U2] refuses a target for another model', { tags: ['CTL-12', 'U2'] }, async () => {
    const d = await device();
    const pump = (await d.client.targetFor('pump'))!;
    expect(await codeOf(d.client.download(pump, new MemorySink(), { installed: ULTRASOUND, checkpoint: new DownloadCheckpoint(pump) }))).toBe('ERR_FW_UPDATE_WRONG_MODEL');
    expect(d.requests.some((r) => r.path.startsWith('targets/'))).toBe(false);
  });

  it('[CTL-12][U8] refuses a target that is not the verified entry (another hash, length or path)', { tags: ['CTL-12', 'U8'] }, async () => {
    const d = await device();
    const other = createHash('sha256').update('another image').digest('hex');
    for (const target of [{ ...d.target, sha256: other }, { ...d.target, length: d.target.length + 1 }, { ...d.target, path: 'ultrasound/ultrasound-9.0.0.bin', version: '9.0.0' }]) {
      expect(await codeOf(d.client.download(target, new MemorySink(), { installed: ULTRASOUND, checkpoint: new DownloadCheckpoint(target) }))).toBe('ERR_FW_UPDATE_UNKNOWN_TARGET');
    }
    const pump = (await d.client.targetFor('pump'))!;
    expect(await codeOf(d.client.download(d.target, new MemorySink(), { installed: ULTRASOUND, checkpoint: new DownloadCheckpoint(pump) }))).toBe('ERR_FW_UPDATE_UNKNOWN_TARGET');
    expect(d.requests.some((r) => r.path.startsWith('targets/'))).toBe(false);
  });

  it('[CTL-12][U2] refuses an entry whose model disagrees with its path, and one without custom fields', { tags: ['CTL-12', 'U2', 'U8'] }, async () => {
    const repo = newRepository();
    const image = release('ultrasound', '1.0.0', 1).image;
    const sha256 = createHash('sha256').update(image).digest('hex');
    for (const [custom, code] of [
      [{ model: 'pump', version: '2.0.0', securityCounter: 1 }, 'ERR_FW_UPDATE_WRONG_MODEL'],
      [undefined, 'ERR_FW_META_MALFORMED'],
    ] as const) {
      const path = 'ultrasound/ultrasound-2.0.0.bin';
      const targets = forge(latest(repo.files, 'targets'), MetadataKind.Targets, (t) => {
        t.version = latestVersion(repo.files, 'targets') + 1;
        t.targets[path] = { length: image.length, hashes: { sha256 }, ...(custom === undefined ? {} : { custom }) };
      }, [repo.keys.targets]);
      const files = repo.online.publish(repo.files, { targetsJson: targets, targetFiles: new Map([[storedTargetPath(path, sha256), image]]) });
      const d = await newDevice(repo.root, files);
      await d.client.refresh();
      expect(await codeOf(d.client.targetFor('ultrasound'))).toBe(code);
    }
  });
});

describe('refused during the transfer', () => {
  it('[CTL-12][CTL-16][U6] stops endless image data at the declared length plus one byte', { tags: ['CTL-12', 'CTL-16', 'U6'] }, async () => {
    let sent = 0;
    const d = await device(async function* (inner, path, options) {
      for await (const chunk of inner.fetch(path, options)) yield chunk;
      while (!options.signal.aborted) {
        sent += 1024;
        yield new Uint8Array(1024);
      }
    });
    const sink = new MemorySink();
    const error = await errorOf(d.client.download(d.target, sink, { installed: ULTRASOUND, checkpoint: new DownloadCheckpoint(d.target) }));
    expect(error.code).toBe('ERR_FW_DOWNLOAD_TOO_LARGE');
    expect(isResumable(error)).toBe(false);
    expect(sink.written).toBe(d.target.length);
    expect(sink.completed).toBeUndefined();
    expect(sent).toBe(1024);
  });

  it('[CTL-12][U1] refuses an image substituted under a valid entry (test_repository_substitutes_target_file)', { tags: ['CTL-12', 'U1'] }, async () => {
    const d = await device(async function* (inner, path, options) {
      for await (const chunk of inner.fetch(path, options)) yield new Uint8Array(chunk).map((b) => b ^ 0x01);
    });
    const sink = new MemorySink();
    expect(await codeOf(d.client.download(d.target, sink, { installed: ULTRASOUND, checkpoint: new DownloadCheckpoint(d.target) }))).toBe('ERR_FW_DOWNLOAD_HASH_MISMATCH');
    expect(sink.completed).toBeUndefined();
  });

  it('[CTL-12][CTL-16][U7] ends a trickled download at its total deadline, then resumes where it stopped', { tags: ['CTL-12', 'CTL-16', 'U7'] }, async () => {
    let trickle = true;
    const d = await device(
      async function* (inner, path, options) {
        for await (const chunk of inner.fetch(path, options)) {
          if (!trickle) {
            yield chunk;
            continue;
          }
          for (const byte of chunk) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            yield new Uint8Array([byte]);
          }
        }
      },
      { downloadTimeoutMs: 300, chunkTimeoutMs: 5_000 },
    );
    const sink = new MemorySink();
    const checkpoint = new DownloadCheckpoint(d.target);
    const error = await errorOf(d.client.download(d.target, sink, { installed: ULTRASOUND, checkpoint }));
    expect(error).toMatchObject({ code: 'ERR_FW_DOWNLOAD_TIMEOUT', details: { limit: 'total' } });
    expect(checkpoint.offset).toBeGreaterThan(0);
    expect(checkpoint.offset).toBeLessThan(d.target.length);
    trickle = false;
    await d.client.download(d.target, sink, { installed: ULTRASOUND, checkpoint });
    expect(sink.bytes().equals(Buffer.from(d.image))).toBe(true);
  });

  it('[CTL-12][CTL-16][U7] ends a stalled download at the per-read timeout', { tags: ['CTL-12', 'CTL-16', 'U7'] }, async () => {
    const d = await device(
      async function* (_inner, _path, options) {
        await new Promise((resolve) => options.signal.addEventListener('abort', resolve));
        yield new Uint8Array(0);
      },
      { chunkTimeoutMs: 500 },
    );
    const error = await errorOf(d.client.download(d.target, new MemorySink(), { installed: ULTRASOUND, checkpoint: new DownloadCheckpoint(d.target) }));
    expect(error).toMatchObject({ code: 'ERR_FW_DOWNLOAD_TIMEOUT', details: { limit: 'read' } });
  });
});
