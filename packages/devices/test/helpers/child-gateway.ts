/**
 * A gateway in a process of its own, for the kill -9 test: opens <dataDir>, listens on 127.0.0.1
 * (MQTT on <mqttPort>, 0 for any; HTTPS on any port), creates one-time enrolment tokens for the
 * device ids given on first start, and prints one JSON line {mqttPort, httpPort, caPem, tokens}
 * once listening. Runs until it is killed.
 *
 *   node --conditions=@medsim/source --import tsx test/helpers/child-gateway.ts <dataDir> <mqttPort> [deviceId...]
 */
import { createLogger } from '@medsim/logging';
import { createGateway, loadConfig } from '@medsim/gateway';

const [dataDir, port, ...deviceIds] = process.argv.slice(2);
if (dataDir === undefined || port === undefined) {
  process.stderr.write('usage: child-gateway.ts <dataDir> <mqttPort> [deviceId...]\n');
  process.exit(2);
}
const config = loadConfig({ overrides: { dataDir, 'mqtt.port': Number(port), 'http.port': 0, 'firmware.port': 0, 'log.level': 'silent', 'auth.scryptCost': 2 ** 14 } });
const gateway = await createGateway({ config, logger: createLogger({ level: 'silent' }) });
const { mqttPort, httpPort } = await gateway.listen();
const tokens = Object.fromEntries(
  deviceIds.filter((id) => gateway.context.devices.get(id) === undefined).map((deviceId) => [deviceId, gateway.context.devices.createEnrolmentToken({ deviceId, model: 'pulse-oximeter', createdBy: 'test' }).token]),
);
process.stdout.write(`${JSON.stringify({ mqttPort, httpPort, caPem: gateway.context.tls.caPem, tokens })}\n`);
