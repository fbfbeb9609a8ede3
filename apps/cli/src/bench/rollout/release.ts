/**
 * The release side of the rollout benchmark, as the release team would do it offline: TUF root
 * keys (2 of 3), a targets key and an image-signing key; root version 1 listing the gateway's
 * online snapshot and timestamp keys; the factory image every device ships with and the new
 * release, both for one model; the targets metadata signed for the new release.
 */
import { ImageKeyring, ImageSigningKey, TufSigningKey, buildImage, createRoot, signTargets, tufPublicKey, type RepositoryFiles } from '@medsim/firmware';

/** A fixed build time: builds are reproducible. */
const BUILD_TIME_MS = Date.UTC(2026, 10, 1);

/** What the release team hands over. */
export interface Release {
  readonly model: string;
  /** The keys devices' bootloaders trust (burned in at manufacturing). */
  readonly keyring: ImageKeyring;
  /** Root version 1: the devices' first trusted root. */
  readonly root: Uint8Array;
  readonly factory: { readonly version: string; readonly image: Uint8Array };
  readonly update: { readonly version: string; readonly securityCounter: number; readonly image: Uint8Array };
  /** Signed targets metadata listing the update. */
  readonly targetsJson: Uint8Array;
  /** The update's image at its stored repository path (`targets/<model>/<sha256>.<name>`). */
  readonly targetFiles: RepositoryFiles;
}

/**
 * Signs a release of `model` whose image payload is `payloadBytes`, for a gateway whose online keys
 * are `onlineKeys` (raw Ed25519 public keys, hex).
 */
export function signRelease(model: string, payloadBytes: number, onlineKeys: { readonly snapshot: string; readonly timestamp: string }): Release {
  const rootKeys = [TufSigningKey.generate(), TufSigningKey.generate(), TufSigningKey.generate()];
  const targetsKey = TufSigningKey.generate();
  const imageKey = ImageSigningKey.generate();
  const online = (hex: string): ReturnType<typeof tufPublicKey> => tufPublicKey(Buffer.from(hex, 'hex'));
  const root = createRoot(
    {
      root: { keys: rootKeys.map((k) => k.publicKey), threshold: 2 },
      targets: { keys: [targetsKey.publicKey], threshold: 1 },
      snapshot: { keys: [online(onlineKeys.snapshot)], threshold: 1 },
      timestamp: { keys: [online(onlineKeys.timestamp)], threshold: 1 },
    },
    rootKeys.slice(0, 2),
  );
  const image = (version: string, securityCounter: number): Uint8Array => buildImage({ model, version, securityCounter, buildTimeMs: BUILD_TIME_MS, payloadSize: payloadBytes }, imageKey);
  const update = { version: '1.1.0', securityCounter: 2, image: image('1.1.0', 2) };
  const { targetsJson, targetFiles } = signTargets({ root, add: [{ model, ...update }], signers: [targetsKey] });
  return { model, keyring: new ImageKeyring([imageKey.publicKey]), root, factory: { version: '1.0.0', image: image('1.0.0', 1) }, update, targetsJson, targetFiles };
}
