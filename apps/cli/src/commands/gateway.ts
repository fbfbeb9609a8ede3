/**
 * `medsim gateway`: runs the telehealth gateway until SIGINT or SIGTERM. On first start it
 * creates the data directory, the local CA and the first admin, whose generated password and
 * TOTP secret are printed once.
 */
import { DATA_FILES, createGateway, loadConfig, type GatewayConfig } from '@medsim/gateway';
import { parseArgs } from 'node:util';
import { paint } from '../ui/terminal.js';

/** Usage of `medsim gateway`. */
export const gatewayUsage = `medsim gateway [--config FILE] [--data-dir DIR] [--host ADDR] [--mqtt-port N] [--http-port N]
               [--firmware-port N] [--session-policy replace|reject] [--json]

Runs the gateway: MQTT over mutual TLS for devices (default port 8883), the HTTPS API and
WebSocket for people (default 8443), the firmware update endpoint for devices (HTTPS with
client certificates, default 8884). Settings come from defaults, then --config, then MEDSIM_*
environment variables, then these flags (docs/configuration.md). --json prints one JSON line
when listening. Stop with Ctrl-C.`;

/** Command-line flags → configuration keys. */
export function configFromFlags(values: Record<string, string | boolean | undefined>): GatewayConfig {
  const file = typeof values['config'] === 'string' ? values['config'] : undefined;
  return loadConfig({
    ...(file === undefined ? {} : { file }),
    env: process.env,
    overrides: {
      dataDir: values['data-dir'],
      host: values['host'],
      'mqtt.port': values['mqtt-port'],
      'http.port': values['http-port'],
      'firmware.port': values['firmware-port'],
      'auth.sessionPolicy': values['session-policy'],
    },
  });
}

/** Flags shared by the commands that start a gateway. */
export const gatewayFlags = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  'mqtt-port': { type: 'string' },
  'http-port': { type: 'string' },
  'firmware-port': { type: 'string' },
  'session-policy': { type: 'string' },
} as const;

/** Runs `medsim gateway`; resolves with the exit code after a signal. */
export async function gateway(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { ...gatewayFlags, json: { type: 'boolean', default: false } } });
  const config = configFromFlags(values);
  const instance = await createGateway({ config });
  const firstAdmin = await instance.ensureFirstAdmin();
  const addresses = await instance.listen();
  const caCert = instance.state.dataDir.file(DATA_FILES.caCert);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ready: true, ...addresses, dataDir: instance.state.dataDir.path, caCert, firstAdmin })}\n`);
  } else {
    const lines = [
      paint('bold', 'medsim gateway'),
      `  data directory  ${instance.state.dataDir.path}`,
      `  devices (MQTT)  mqtts://${addresses.host}:${addresses.mqttPort}  (client certificate required)`,
      `  people (HTTPS)  https://${addresses.host}:${addresses.httpPort}/v1  (OpenAPI at /v1/openapi.json)`,
      `  updates (HTTPS) https://${addresses.host}:${addresses.firmwarePort}/v1/firmware  (devices, client certificate required)`,
      `  CA certificate  ${caCert}`,
    ];
    if (firstAdmin !== undefined) {
      lines.push(
        '',
        paint('yellow', 'First start: the admin account was created. This is shown once; store it now.'),
        `  user name  ${firstAdmin.username}`,
        `  password   ${firstAdmin.password}`,
        `  TOTP       ${firstAdmin.totpUri}`,
      );
    }
    lines.push('', 'Ctrl-C stops the gateway.');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await instance.close();
  return 0;
}
