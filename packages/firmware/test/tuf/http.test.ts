/**
 * The update client over a real socket: a node:http server on 127.0.0.1 port 0 serves the
 * repository map with Range support, and HttpFetcher, through the tuf-js adapter, refreshes (a 404
 * for the next root version ends rotation), downloads an image whose connection is cut mid-body,
 * and resumes it with `Range: bytes=<offset>-`, then once more from a server that ignores Range.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadCheckpoint, HttpFetcher, UpdateClient, storedTargetPath, type RepositoryFiles } from '../../src/index.js';
import { MemorySink, errorOf, newDevice, newRepository } from './fixture.js';

type Mode = 'cut' | 'range' | 'ignore-range';

/** Serves `files` under /firmware/; image requests follow `modes` in turn. */
function repositoryServer(files: RepositoryFiles, modes: Mode[], ranges: (string | undefined)[]): Server {
  return createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/firmware\//, '');
    const bytes = files.get(path);
    if (bytes === undefined) return void res.writeHead(404).end();
    if (!path.startsWith('targets/')) return void res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    ranges.push(req.headers.range);
    const mode = modes.shift() ?? 'range';
    const start = mode === 'range' ? Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0) : 0;
    if (start > 0) res.writeHead(206, { 'content-length': bytes.length - start, 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
    else res.writeHead(200, { 'content-length': bytes.length });
    if (mode === 'cut') {
      res.write(bytes.subarray(0, 2048), () => res.destroy());
      return undefined;
    }
    return void res.end(bytes.subarray(start));
  });
}

describe('over HTTP', () => {
  const repo = newRepository();
  const modes: Mode[] = ['cut', 'range', 'ignore-range'];
  const ranges: (string | undefined)[] = [];
  const server = repositoryServer(repo.files, modes, ranges);
  let baseUrl = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/firmware/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('[CTL-12] refreshes and resumes a cut image download through a real socket with Range', { tags: ['CTL-12'] }, async () => {
    const { metadataDir } = await newDevice(repo.root, new Map());
    const client = new UpdateClient({ metadataDir, fetcher: new HttpFetcher({ baseUrl }) });
    expect(await client.refresh()).toEqual({ root: 1, timestamp: 1, snapshot: 1, targets: 1 });
    const target = (await client.targetFor('ultrasound'))!;
    const installed = { model: 'ultrasound', version: '0.1.0', securityCounter: 0 };

    const sink = new MemorySink();
    const checkpoint = new DownloadCheckpoint(target);
    expect((await errorOf(client.download(target, sink, { installed, checkpoint }))).code).toBe('ERR_FW_DOWNLOAD_INTERRUPTED');
    const resumedAt = checkpoint.offset;
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(target.length);
    await client.download(target, sink, { installed, checkpoint });
    expect(ranges).toEqual([undefined, `bytes=${resumedAt}-`]);
    const image = repo.files.get(storedTargetPath(target.path, target.sha256))!;
    expect(sink.bytes().equals(Buffer.from(image))).toBe(true);
    expect(Buffer.from(sink.completed!).toString('hex')).toBe(target.sha256);

    // A server that answers a range request with the whole file (200) is read from the offset on.
    const partial = DownloadCheckpoint.fromWritten(target, [image.subarray(0, 1000)]);
    const rest = new MemorySink();
    rest.write(image.subarray(0, 1000), 0);
    await client.download(target, rest, { installed, checkpoint: partial });
    expect(ranges.at(-1)).toBe('bytes=1000-');
    expect(rest.bytes().equals(Buffer.from(image))).toBe(true);
  });
});
