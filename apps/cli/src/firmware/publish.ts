/**
 * `medsim firmware publish`: takes the key directory's repository to a gateway over its API, as a
 * technician (`firmware.publish`): every root version and the latest targets version the gateway
 * does not hold yet, and the images that targets version lists which it does not hold. The gateway
 * checks the bundle, stores it and signs a new snapshot and timestamp with its online keys
 * (docs/firmware/gateway.md); what it stored, those two included, is printed. A metadata file the
 * gateway already holds with other bytes stops the publication before anything is sent: it means
 * another key directory, or another gateway, than the operator thinks.
 */
import { sha256Hex, storedTargetPath } from '@medsim/firmware';
import type { MetadataRecord, TargetRecord } from '@medsim/gateway';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { progress, table } from '../ui/terminal.js';
import { API_OPTIONS, withSession } from './api-login.js';
import { CommandError } from './command-error.js';
import { API_LIMITS } from './gateway-api.js';
import { printJson, printLines, short } from './output.js';
import { targetEntries } from './release.js';
import { latestMetadata, readOfflineMetadata, readStoredTarget, repositoryDir, requireRoot } from './release-repository.js';

/** What the gateway holds (GET /v1/firmware/releases), and what it stored (POST). */
interface Releases {
  readonly metadata: readonly MetadataRecord[];
  readonly targets: readonly TargetRecord[];
}

/** The request body `{ metadata: { name: base64 }, targets: { path: base64 } }`, built piece by piece (no giant string). */
export function encodeBundle(metadata: ReadonlyMap<string, Uint8Array>, targets: ReadonlyMap<string, Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  const object = (files: ReadonlyMap<string, Uint8Array>): void => {
    parts.push(Buffer.from('{'));
    [...files].forEach(([name, bytes], i) => parts.push(Buffer.from(`${i === 0 ? '' : ','}${JSON.stringify(name)}:"`), Buffer.from(Buffer.from(bytes).toString('base64')), Buffer.from('"')));
    parts.push(Buffer.from('}'));
  };
  parts.push(Buffer.from('{"metadata":'));
  object(metadata);
  parts.push(Buffer.from(',"targets":'));
  object(targets);
  parts.push(Buffer.from('}'));
  return Buffer.concat(parts);
}

/** Runs `publish`; returns the exit code. */
export async function publish(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { keys: { type: 'string' }, ...API_OPTIONS, json: { type: 'boolean', default: false } } });
  if (values.keys === undefined) throw new UsageError('--keys is required');
  const repoDir = repositoryDir(values.keys);
  const files = await readOfflineMetadata(repoDir);
  requireRoot(files, repoDir);
  const targets = latestMetadata(files, 'targets');
  if (targets === undefined) throw new CommandError('nothing released yet: sign a targets version with medsim firmware release first');

  return withSession(values, async (session) => {
    const held = (await session.call('GET', '/v1/firmware/releases')) as Releases;
    const heldMetadata = new Map(held.metadata.map((m) => [m.name, m.sha256]));
    const heldTargets = new Set(held.targets.map((t) => t.filePath));

    const metadata = new Map<string, Uint8Array>();
    for (const [path, bytes] of files) {
      const name = path.slice('metadata/'.length);
      const isLatestTargets = name === `${targets.version}.targets.json`;
      if (!name.endsWith('.root.json') && !isLatestTargets) continue;
      const sha256 = heldMetadata.get(name);
      if (sha256 === undefined) metadata.set(name, bytes);
      else if (sha256 !== sha256Hex(bytes)) {
        throw new CommandError(`the gateway holds another ${name} than ${repoDir}: this is not the repository it was published from`);
      }
    }
    const images = new Map<string, Uint8Array>();
    for (const [path, entry] of Object.entries(targetEntries(targets.bytes))) {
      const stored = storedTargetPath(path, entry.hashes.sha256 ?? '');
      const filePath = stored.slice('targets/'.length);
      if (!heldTargets.has(filePath)) images.set(filePath, await readStoredTarget(repoDir, stored));
    }
    if (metadata.size === 0 && images.size === 0) {
      if (values.json) printJson({ sent: { metadata: [], targets: [] }, stored: null });
      else printLines([`the gateway already holds this repository (targets v${targets.version}): nothing to publish`]);
      return 0;
    }

    const body = encodeBundle(metadata, images);
    const bar = progress('uploading', Math.ceil(body.length / API_LIMITS.uploadPieceBytes));
    const stored = (await session.upload('/v1/firmware/releases', body, () => bar.tick()).finally(() => bar.done())) as Releases;
    if (values.json) printJson({ sent: { metadata: [...metadata.keys()], targets: [...images.keys()] }, stored });
    else {
      printLines([
        `published to ${values.api}: ${metadata.size} metadata files and ${images.size} images sent (${body.length} bytes)`,
        table(
          ['metadata', 'role', 'version', 'sha256', 'published by'],
          stored.metadata.map((m) => [m.name, m.role, String(m.version), short(m.sha256), m.publishedBy === 'gateway' ? 'gateway (signed with its online keys)' : m.publishedBy]),
        ),
        ...(stored.targets.length === 0 ? [] : [table(['image', 'version', 'counter', 'bytes'], stored.targets.map((t) => [t.filePath, t.version, String(t.securityCounter), String(t.length)]))]),
      ]);
    }
    return 0;
  });
}
