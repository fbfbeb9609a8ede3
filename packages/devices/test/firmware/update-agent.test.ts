/**
 * The update agent end to end on one device: director instruction, TUF refresh, agreement,
 * resumable download into the inactive slot, trial boot, health check, confirm or revert, reports.
 * Every refused update leaves the running version and the security counter as they were, and
 * leaves an event for the device's log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '@medsim/crypto';
import type { FetchOptions, Fetcher } from '@medsim/firmware';
import { type Repository, type TestDevice, type TestDirector, factoryWorld, release, type World } from './agent-fixture.js';

const devices: TestDevice[] = [];
afterEach(() => {
  for (const device of devices.splice(0)) device.cleanup();
});

const setup = (options: { wrap?: (inner: Fetcher) => Fetcher } = {}): Promise<World> => factoryWorld(devices, options);

describe('the update agent', () => {
  it('[CTL-12][CTL-13] installs what director and repository agree on, trial-boots it, confirms it and raises the counter', { tags: ['CTL-12', 'CTL-13'] }, async () => {
    const { repository, director, device } = await setup();
    const next = release('1.1.0', 2);
    repository.publish(next);
    director.offer(device.deviceId, next);
    expect(await device.agent.check()).toEqual({ kind: 'installed', version: '1.1.0' });
    // Still the old image until the reboot; the counter rises only on confirm.
    expect(device.installed).toEqual({ version: '1.0.0', securityCounter: 1 });
    await device.reboot();
    expect(device.installed).toEqual({ version: '1.1.0', securityCounter: 2 });
    expect(director.states.filter((s) => s !== 'downloading')).toEqual(['installed', 'trial', 'confirmed']);
    expect(director.reports.filter((r) => r.state === 'downloading').at(-1)?.progress).toBe(100);
    expect(device.events.map((e) => e.kind)).toEqual(['installed', 'confirmed']);
    // Nothing more to do: the same instruction again is refused as acted on (U15).
    expect(await device.agent.check()).toMatchObject({ kind: 'refused' });
  });

  it('[CTL-13] reverts an image whose health check fails: the old version runs, the counter is unchanged, the director hears why', { tags: ['CTL-13'] }, async () => {
    const { repository, director, device } = await setup();
    const broken = release('1.2.0', 2, { selfTest: 'fail' });
    repository.publish(broken);
    director.offer(device.deviceId, broken);
    expect(await device.agent.check()).toMatchObject({ kind: 'installed' });
    await device.reboot();
    expect(device.installed).toEqual({ version: '1.0.0', securityCounter: 1 });
    expect(director.reports.at(-1)).toMatchObject({ state: 'reverted', errorCode: 'ERR_UPDATE_HEALTH_CHECK_FAILED' });
    expect(device.events).toContainEqual({ kind: 'reverted', version: '1.2.0', code: 'ERR_UPDATE_HEALTH_CHECK_FAILED' });
    // And it stays reverted across more reboots.
    await device.reboot();
    expect(device.installed).toEqual({ version: '1.0.0', securityCounter: 1 });
  });

  it('[CTL-16] resumes a download cut twice by the network, and finishes with a verified image', { tags: ['CTL-16'] }, async () => {
    let cuts = 2;
    const flaky = (inner: Fetcher): Fetcher => ({
      async *fetch(path: string, options: FetchOptions): AsyncIterable<Uint8Array> {
        let sent = 0;
        for await (const chunk of inner.fetch(path, options)) {
          if (path.startsWith('targets/') && cuts > 0 && sent >= 2048) {
            cuts -= 1;
            throw Object.assign(new Error('connection reset'), { code: 'ERR_FW_DOWNLOAD_INTERRUPTED' });
          }
          sent += chunk.length;
          yield chunk;
        }
      },
    });
    const { repository, director, device } = await setup({ wrap: flaky });
    const next = release('1.1.0', 2);
    repository.publish(next);
    director.offer(device.deviceId, next);
    expect(await device.agent.check()).toEqual({ kind: 'installed', version: '1.1.0' });
    expect(cuts).toBe(0);
    await device.reboot();
    expect(device.installed).toEqual({ version: '1.1.0', securityCounter: 2 });
  });

  describe('refuses, with the version and counter unchanged and an event logged', () => {
    const refusals: [string, (ctx: { repository: Repository; director: TestDirector; device: TestDevice }) => Promise<void> | void, string][] = [
      [
        '[U10] an instruction signed by another key than the director\'s',
        async ({ repository, director, device }) => {
          const r = release('1.1.0', 2);
          repository.publish(r);
          director.offer(device.deviceId, r, (i) => i, await Identity.generate());
        },
        'ERR_FW_DIRECTOR_INVALID',
      ],
      [
        '[U15] an instruction for another device',
        ({ repository, director }) => {
          const r = release('1.1.0', 2);
          repository.publish(r);
          director.offer('us-0002', r);
        },
        'ERR_FW_DIRECTOR_WRONG_DEVICE',
      ],
      [
        '[U15] an expired instruction',
        ({ repository, director, device }) => {
          const r = release('1.1.0', 2);
          repository.publish(r);
          director.offer(device.deviceId, r, (i) => ({ ...i, iat: Date.now() - 7_200_000, exp: Date.now() - 3_600_000 }));
        },
        'ERR_FW_DIRECTOR_EXPIRED',
      ],
      [
        '[U15] an old instruction that does not answer this check',
        ({ repository, director, device }) => {
          const r = release('1.1.0', 2);
          repository.publish(r);
          director.offer(device.deviceId, r, (i) => ({ ...i, checkNonce: 'AAAAAAAAAAAAAAAAAAAAAA' }));
        },
        'ERR_FW_DIRECTOR_REPLAYED',
      ],
      [
        '[U1] an image the repository does not list (the director alone cannot ship code)',
        ({ director, device }) => director.offer(device.deviceId, release('1.1.0', 2)),
        'ERR_FW_UPDATE_UNKNOWN_TARGET',
      ],
      [
        '[U8] mix-and-match: the director names another hash than the repository',
        ({ repository, director, device }) => {
          const r = release('1.1.0', 2);
          repository.publish(r);
          director.offer(device.deviceId, r, (i) => ({ ...i, target: { ...i.target, sha256: 'ab'.repeat(32) } }));
        },
        'ERR_FW_UPDATE_UNKNOWN_TARGET',
      ],
      [
        '[U8] mix-and-match: the director names a higher security counter than the repository',
        ({ repository, director, device }) => {
          const r = release('1.1.0', 2);
          repository.publish(r);
          director.offer(device.deviceId, r, (i) => ({ ...i, target: { ...i.target, securityCounter: 9 } }));
        },
        'ERR_FW_UPDATE_UNKNOWN_TARGET',
      ],
      [
        '[U2] an image for another model',
        ({ repository, director, device }) => {
          const r = release('1.1.0', 2, { model: 'insulin-pump' });
          repository.publish(r);
          director.offer(device.deviceId, r);
        },
        'ERR_FW_UPDATE_WRONG_MODEL',
      ],
      [
        '[U3] a rollback by version',
        ({ repository, director, device }) => {
          const r = release('0.9.0', 1);
          repository.publish(r);
          director.offer(device.deviceId, r);
        },
        'ERR_FW_UPDATE_ROLLBACK',
      ],
      [
        '[U3] the same version again',
        ({ director, device }) => director.offer(device.deviceId, release('1.0.0', 1)),
        'ERR_FW_UPDATE_ROLLBACK',
      ],
      [
        '[U3] a rollback by security counter (a higher version with a lower counter)',
        ({ repository, director, device }) => {
          const r = release('2.0.0', 0);
          repository.publish(r);
          director.offer(device.deviceId, r);
        },
        'ERR_FW_UPDATE_ROLLBACK',
      ],
    ];
    it.each(refusals)('%s', { tags: ['CTL-12'] }, async (_name, arrange, code) => {
      const ctx = await setup();
      await arrange(ctx);
      expect(await ctx.device.agent.check()).toEqual({ kind: 'refused', code });
      expect(ctx.device.events).toContainEqual(expect.objectContaining({ kind: 'refused', code }));
      await ctx.device.reboot();
      expect(ctx.device.installed).toEqual({ version: '1.0.0', securityCounter: 1 });
    });
  });

  it('[CTL-12][U1] refuses an image whose bytes were replaced in the repository, before it can boot', { tags: ['CTL-12'] }, async () => {
    const { repository, director, device } = await setup();
    const r = release('1.1.0', 2);
    repository.publish(r);
    // Same length, validly signed by the image key, but not the bytes the targets metadata lists.
    const substitute = release('1.1.0', 2, { selfTest: 'fail' }).image;
    const stored = [...repository.files.keys()].filter((p) => p.startsWith('targets/') && p.includes('1.1.0'));
    expect(stored).toHaveLength(1);
    repository.files = new Map([...repository.files, [stored[0]!, substitute]]);
    director.offer(device.deviceId, r);
    const outcome = await device.agent.check();
    expect(outcome).toMatchObject({ kind: 'refused' });
    expect(['ERR_FW_DOWNLOAD_HASH_MISMATCH', 'ERR_BOOT_TARGET_INVALID']).toContain((outcome as { code: string }).code);
    expect(director.reports.at(-1)).toMatchObject({ state: 'failed' });
    await device.reboot();
    expect(device.installed).toEqual({ version: '1.0.0', securityCounter: 1 });
  });
});
