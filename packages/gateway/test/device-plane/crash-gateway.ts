/**
 * A gateway in a process of its own, for the kill -9 test (crash.test.ts, attacks-and-faults F1):
 * opens the data directory given as the first argument, listens on 127.0.0.1 (ports 0), prints
 * `{"mqttPort":n}` as one JSON line on stdout once listening, and runs until it is killed.
 *
 *   node --conditions=@medsim/source --import tsx test/device-plane/crash-gateway.ts <dataDir>
 */
import { createLogger } from '@medsim/logging';
import { createGateway, loadConfig } from '../../src/index.js';

const dataDir = process.argv[2];
if (dataDir === undefined) {
  process.stderr.write('usage: crash-gateway.ts <dataDir>\n');
  process.exit(2);
}
const config = loadConfig({ overrides: { dataDir, 'mqtt.port': 0, 'http.port': 0, 'firmware.port': 0, 'log.level': 'silent', 'auth.scryptCost': 2 ** 14 } });
const gateway = await createGateway({ config, logger: createLogger({ level: 'silent' }) });
const { mqttPort } = await gateway.listen();
process.stdout.write(`${JSON.stringify({ mqttPort })}\n`);
