/**
 * Store faults under the device plane (attacks-and-faults F7, F8): a full disk (SQLite
 * max_page_count, which yields SQLITE_FULL with no root or mount tricks) must withhold the
 * PUBACK so the device keeps its reading, keep the file intact and recover once space is freed
 * with nothing lost or doubled; a damaged, truncated, foreign or newer database must stop
 * start-up with ERR_STORE_CORRUPT and never start empty. Real gateway, real database file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pulseOximeterReading, type DeviceClient } from '@medsim/testkit';
import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { DATA_FILES, verifyAuditChain, type Gateway } from '../../src/index.js';
import { connectDevice, enrolDevice, startGateway, tempDataDir, waitFor } from '../fixtures.js';
import { attemptConnect, deviceMqttOptions, sleep } from './helpers.js';

const gateways: Gateway[] = [];
const devices: DeviceClient[] = [];
const dirs: { cleanup: () => void }[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close().catch(() => undefined);
  await Promise.all(gateways.splice(0).map((g) => g.close().catch(() => undefined)));
  for (const d of dirs.splice(0)) d.cleanup();
});

function dataDir(): string {
  const dir = tempDataDir();
  dirs.push(dir);
  return dir.path;
}

const ID = 'pulse-ox-0601';

/** Resolves 'acked' on PUBACK, 'closed' if the connection closes first, 'pending' after timeoutMs. */
async function publishOutcome(device: DeviceClient, closedOnce: Promise<void>, envelope: Uint8Array, timeoutMs: number): Promise<'acked' | 'closed' | 'pending'> {
  const acked = device.publish('telemetry', envelope).then(
    () => 'acked' as const,
    () => 'closed' as const,
  );
  const closed = closedOnce.then(() => 'closed' as const);
  const timer = sleep(timeoutMs).then(() => 'pending' as const);
  return Promise.race([acked, closed, timer]);
}

describe('disk full during the stream (F7)', () => {
  it('[CTL-16][F7] SQLITE_FULL: no PUBACK for the refused reading, store.full audited, integrity ok, the gateway stays up while the device retries, and once space is freed the reading is stored exactly once', { tags: ['CTL-16', 'F7'] }, async () => {
    const path = dataDir();
    // First start: enrol, open a session, store one reading, seal the rest of the stream ahead.
    const first = await startGateway({ dataDir: path });
    const credentials = await enrolDevice(first, ID);
    const sealer = await connectDevice(first, credentials);
    await sealer.openSession();
    await sealer.sendReading(pulseOximeterReading(0));
    const stream = Array.from({ length: 2_000 }, (_, i) => sealer.sealReading(pulseOximeterReading(i + 1)));
    await sealer.close();
    await first.close();
    const db = new BetterSqlite3(`${path}/${DATA_FILES.database}`, { readonly: true });
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.close();

    // Second start with a few pages of room left.
    const gateway = await startGateway({ dataDir: path, database: { maxPageCount: pages + 6 } });
    gateways.push(gateway);
    const faults: unknown[] = [];
    const onFault = (error: unknown): void => void faults.push(error);
    process.on('unhandledRejection', onFault);
    process.on('uncaughtException', onFault);
    try {
      let device = await connectDevice(gateway, credentials);
      devices.push(device);
      let acked = 0;
      let refusedAt = -1;
      let closedOnce = device.closed();
      for (let i = 0; i < stream.length; i += 1) {
        if ((await publishOutcome(device, closedOnce, stream[i]!, 5_000)) !== 'acked') {
          refusedAt = i;
          break;
        }
        acked += 1;
      }
      expect(refusedAt).toBeGreaterThan(0); // the limit was reached mid-stream
      // The device saw no PUBACK for stream[refusedAt]; every PUBACK it saw is a stored reading.
      expect(gateway.context.readings.countForDevice(ID)).toBe(1 + acked);
      expect(gateway.context.db.prepare("SELECT code, severity FROM audit_log WHERE event = 'store.full'").all()).toEqual([
        { code: 'ERR_STORE_FULL', severity: 'critical' },
      ]);
      expect(gateway.context.db.pragma('integrity_check', { simple: true })).toBe('ok');

      // The device keeps retrying while the disk stays full. Each retry is refused without a
      // PUBACK; once even the audit trail is full, the gateway refuses the connection itself
      // (CONNACK 3, server unavailable: no unaudited access) and never crashes.
      let retries = 0;
      let unavailable = false;
      while (!unavailable && retries < 60) {
        retries += 1;
        await waitFor(() => gateway.devicePlane.connectedDevices === 0, 3_000, 'previous connection gone');
        const attempt = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials));
        if (!attempt.connected) {
          expect(attempt.returnCode).toBe(3);
          unavailable = true;
          break;
        }
        const outcome = await attempt.client.publishAsync(`devices/${ID}/telemetry`, Buffer.from(stream[refusedAt]!), { qos: 1 }).then(
          () => 'acked',
          () => 'closed',
        );
        attempt.client.end(true);
        expect(outcome).not.toBe('acked');
      }
      process.stdout.write(`FIGURE store.disk_full acked_before_full=${acked} retries_while_full=${retries} connack3=${unavailable} crashes=${faults.length}\n`);
      expect(unavailable).toBe(true);
      expect(faults).toEqual([]);
      expect(gateway.context.readings.countForDevice(ID)).toBe(1 + acked);
      expect(gateway.devicePlane.server.listening).toBe(true);

      // Space is freed; the device (which kept the unacknowledged envelope) reconnects and resends
      // it and what followed, in order.
      gateway.context.db.pragma('max_page_count = 100000');
      await waitFor(() => gateway.devicePlane.connectedDevices === 0, 3_000, 'old connection gone');
      device = await connectDevice(gateway, credentials);
      devices.push(device);
      closedOnce = device.closed();
      for (let i = refusedAt; i < refusedAt + 20; i += 1) expect(await publishOutcome(device, closedOnce, stream[i]!, 5_000)).toBe('acked');
      // Once more the refused one: a duplicate is acknowledged and not stored again.
      expect(await publishOutcome(device, closedOnce, stream[refusedAt]!, 5_000)).toBe('acked');
      expect(gateway.context.readings.countForDevice(ID)).toBe(1 + acked + 20);
      expect(gateway.context.db.prepare('SELECT sequence, count(*) AS n FROM readings WHERE device_id = ? GROUP BY key_id, stream_id, sequence HAVING n > 1').all(ID)).toEqual([]);
      expect(gateway.context.db.pragma('integrity_check', { simple: true })).toBe('ok');
      // The audit records that could not be written left no hole in the hash chain.
      expect(verifyAuditChain(gateway.context.db).ok).toBe(true);
      expect(faults).toEqual([]);
    } finally {
      process.off('unhandledRejection', onFault);
      process.off('uncaughtException', onFault);
    }
  });
});

describe('damaged database at start (F8)', () => {
  /** A data directory whose database holds an enrolled device and readings. */
  async function populated(): Promise<string> {
    const path = dataDir();
    const gateway = await startGateway({ dataDir: path });
    const device = await connectDevice(gateway, await enrolDevice(gateway, ID));
    await device.openSession();
    for (let i = 0; i < 5; i += 1) await device.sendReading(pulseOximeterReading(i));
    await device.close();
    await gateway.close();
    expect(existsSync(`${path}/${DATA_FILES.database}-wal`)).toBe(false); // checkpointed on close
    return path;
  }

  const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

  /** Start must fail with ERR_STORE_CORRUPT and leave the file as it was. */
  async function refusesToStart(path: string): Promise<void> {
    const file = `${path}/${DATA_FILES.database}`;
    const before = digest(file);
    await expect(startGateway({ dataDir: path })).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
    expect(digest(file)).toBe(before);
  }

  const damages: { name: string; damage: (file: string) => void }[] = [
    { name: 'truncated to half its size', damage: (file) => truncateSync(file, Math.floor(readFileSync(file).length / 2)) },
    { name: 'truncated inside its header page', damage: (file) => truncateSync(file, 100) },
    {
      name: 'with its magic header string flipped',
      damage: (file) => {
        const bytes = readFileSync(file);
        bytes[0]! ^= 0xff;
        writeFileSync(file, bytes);
      },
    },
    {
      name: 'with its page size field zeroed',
      damage: (file) => {
        const bytes = readFileSync(file);
        bytes.writeUInt16BE(0x0003, 16);
        writeFileSync(file, bytes);
      },
    },
    {
      name: 'with the schema page type byte flipped',
      damage: (file) => {
        const bytes = readFileSync(file);
        bytes[100] = 0x07; // not a b-tree page type
        writeFileSync(file, bytes);
      },
    },
    {
      name: 'with every b-tree page after the first scribbled over in its cell pointers',
      damage: (file) => {
        const bytes = readFileSync(file);
        const pageSize = bytes.readUInt16BE(16);
        for (let page = 1; page * pageSize < bytes.length; page += 1) {
          const at = page * pageSize;
          if ([0x02, 0x05, 0x0a, 0x0d].includes(bytes[at]!)) bytes.fill(0xee, at + 8, at + 16);
        }
        writeFileSync(file, bytes);
      },
    },
  ];
  for (const d of damages) {
    it(`[CTL-21][F8] a database ${d.name} stops start-up with ERR_STORE_CORRUPT and is left untouched`, { tags: ['CTL-21', 'F8'] }, async () => {
      const path = await populated();
      d.damage(`${path}/${DATA_FILES.database}`);
      await refusesToStart(path);
    });
  }

  /** A data directory whose gateway.db was replaced by another application's SQLite file. */
  async function withForeignDatabase(applicationId: number): Promise<string> {
    const path = await populated();
    const file = `${path}/${DATA_FILES.database}`;
    unlinkSync(file);
    const foreign = new BetterSqlite3(file);
    foreign.pragma(`application_id = ${applicationId}`);
    foreign.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('not medsim');");
    foreign.close();
    return path;
  }

  it('[CTL-21][F8] a foreign SQLite file (another application_id, or none) is refused and its data kept', { tags: ['CTL-21', 'F8'] }, async () => {
    for (const applicationId of [0x12345678, 0]) {
      const path = await withForeignDatabase(applicationId);
      await expect(startGateway({ dataDir: path })).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
      const foreign = new BetterSqlite3(`${path}/${DATA_FILES.database}`, { readonly: true });
      expect(foreign.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'not medsim' }]);
      expect(foreign.pragma('application_id', { simple: true })).toBe(applicationId);
      expect(foreign.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'readings'").get()).toEqual({ n: 0 });
      foreign.close();
    }
  });

  // openDatabase() checks application_id and the schema version on a read-only connection
  // before anything (the WAL switch included) may write to the file.
  it('[CTL-21][F8] a refused foreign SQLite file is left byte-identical', { tags: ['CTL-21', 'F8'] }, async () => {
    await refusesToStart(await withForeignDatabase(0x12345678));
  });

  it('[CTL-21][F8] a database written by a newer schema is refused', { tags: ['CTL-21', 'F8'] }, async () => {
    const path = await populated();
    const db = new BetterSqlite3(`${path}/${DATA_FILES.database}`);
    db.pragma('user_version = 99');
    db.close();
    await refusesToStart(path);
  });

  // A zero-length or missing gateway.db in a data directory that already holds its keys is
  // damage, not a first start: the gateway refuses to start rather than start empty.
  for (const [name, damage] of [
    ['truncated to zero bytes', (file: string) => truncateSync(file, 0)],
    ['deleted', (file: string) => unlinkSync(file)],
  ] as const) {
    it(`[CTL-21][F8] a database ${name} in an initialised data directory stops start-up (never starts empty)`, { tags: ['CTL-21', 'F8'] }, async () => {
      const path = await populated();
      damage(`${path}/${DATA_FILES.database}`);
      const result = await startGateway({ dataDir: path }).then(
        (gateway) => {
          gateways.push(gateway); // it started (empty): closed after the test
          return gateway;
        },
        (error: unknown) => error,
      );
      expect(result).toMatchObject({ code: 'ERR_STORE_CORRUPT' });
    });
  }
});
