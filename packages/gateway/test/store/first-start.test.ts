import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, rmSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { DATA_FILES, type Gateway } from '../../src/index.js';
import { startGateway, tempDataDir } from '../fixtures.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

// The database too: it holds password hashes and sealed readings.
const SECRET_FILES = [DATA_FILES.caKey, DATA_FILES.serverKey, DATA_FILES.gatewayIdentity, DATA_FILES.tokenKey, DATA_FILES.dataKey, DATA_FILES.database, `${DATA_FILES.database}-wal`];

describe('first start of the embedded default', () => {
  it('[CTL-10][CTL-11] creates the data directory 0700 and every key file 0600', { tags: ['CTL-10', 'CTL-11'] }, async () => {
    const dir = tempDataDir();
    const gateway = await startGateway({ dataDir: `${dir.path}/data` });
    gateways.push(gateway);
    expect(statSync(gateway.state.dataDir.path).mode & 0o777).toBe(0o700);
    for (const name of SECRET_FILES) expect(statSync(gateway.state.dataDir.file(name)).mode & 0o777, name).toBe(0o600);
  });

  it('[CTL-05][CTL-06] makes a P-256 CA and a server certificate for localhost and 127.0.0.1', { tags: ['CTL-05', 'CTL-06'] }, async () => {
    const gateway = await startGateway();
    gateways.push(gateway);
    const ca = new X509Certificate(gateway.context.tls.caPem);
    const server = new X509Certificate(gateway.context.tls.certPem);
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('[CTL-11] a restart reuses the same keys; a key file readable by others stops start-up', { tags: ['CTL-11'] }, async () => {
    const dir = tempDataDir();
    const first = await startGateway({ dataDir: dir.path });
    const { caPem } = first.context.tls;
    const kid = first.context.tokenKey.kid;
    await first.close();
    const second = await startGateway({ dataDir: dir.path });
    expect(second.context.tls.caPem).toBe(caPem);
    expect(second.context.tokenKey.kid).toBe(kid);
    await second.close();
    chmodSync(`${dir.path}/${DATA_FILES.dataKey}`, 0o644);
    await expect(startGateway({ dataDir: dir.path })).rejects.toMatchObject({ code: 'ERR_DATA_DIR' });
    dir.cleanup();
  });

  it('[CTL-10][F8] a missing data key with a database holding data stops start-up (never a new key over old data)', { tags: ['CTL-10', 'F8'] }, async () => {
    const dir = tempDataDir();
    const first = await startGateway({ dataDir: dir.path });
    await first.close();
    rmSync(`${dir.path}/${DATA_FILES.dataKey}`);
    await expect(startGateway({ dataDir: dir.path })).rejects.toMatchObject({ code: 'ERR_DATA_DIR' });
    dir.cleanup();
  });

  it('[CTL-02] a fresh store has no user accounts (no default credentials)', { tags: ['CTL-02', 'S7'] }, async () => {
    const gateway = await startGateway();
    gateways.push(gateway);
    expect(gateway.context.db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 0 });
  });
});
