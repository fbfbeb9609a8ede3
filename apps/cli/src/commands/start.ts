/**
 * `medsim start` (what `npm start` runs): the gateway plus a demo fleet, for workshops. Prints
 * the seeded accounts once, the readings a clinician sees live, and attacks that each fail.
 */
import { createLogger } from '@medsim/logging';
import { parseArgs } from 'node:util';
import { runGatewayDemo, type DemoEvent } from '../demo/gateway-demo.js';
import { mark, paint, table } from '../ui/terminal.js';
import { UsageError } from './usage-error.js';

/** Usage of `medsim start`. */
export const startUsage = `medsim start [--duration SECONDS] [--data-dir DIR] [--mqtt-port N] [--http-port N]
                    [--firmware-port N] [--json]

Starts a gateway on a throwaway data directory (./.medsim-demo by default, wiped at each start)
with seeded users, patients and care teams, and a fleet with one device of every model (pulse
oximeter, heart-rate sensor, thermometer, glucose meter and insulin pump over BLE through the
gateway's central; blood-pressure monitor, bedside monitor, pacemaker and ultrasound over MQTT
with mTLS through Wi-Fi and LTE network profiles). Follows the readings live as clinician dr.kim
over WSS, has dr.lee order a bolus the pump executes and one its interlock refuses, and runs
attacks that must each fail. Runs until Ctrl-C, or for --duration seconds. --json prints one
JSON object per event.`;

const fmt = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));

/** Short screen labels of the IEEE 11073 terms the demo devices send. */
const LABELS: Readonly<Record<string, string>> = {
  MDC_PULS_OXIM_SAT_O2: 'SpO2',
  MDC_PULS_OXIM_PULS_RATE: 'pulse',
  MDC_PRESS_BLD_NONINV_SYS: 'sys',
  MDC_PRESS_BLD_NONINV_DIA: 'dia',
  MDC_PRESS_BLD_NONINV_MEAN: 'mean',
  MDC_PULS_RATE_NON_INV: 'pulse',
  MDC_TEMP_BODY: 'temp',
  MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD: 'glucose',
  MDC_ECG_HEART_RATE: 'HR',
  MDC_RESP_RATE: 'resp',
  MDC_IDC_MSMT_BATTERY_VOLTAGE: 'battery',
  MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE: 'lead',
};

function describeReading(event: Extract<DemoEvent, { kind: 'reading' }>): string {
  const values = (event.reading.reading?.observations ?? []).map((o) => `${LABELS[o.mdc] ?? o.mdc} ${fmt(o.value)} ${o.unit}`).join('  ');
  const time = event.reading.receivedAt.slice(11, 19);
  return `  ${paint('dim', time)}  ${event.patient.padEnd(14)} ${event.reading.deviceId.padEnd(19)} ${values}`;
}

/** Runs `medsim start`; returns the exit code (1 when an attack was not refused). */
export async function start(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      'data-dir': { type: 'string', default: './.medsim-demo' },
      'mqtt-port': { type: 'string', default: '8883' },
      'firmware-port': { type: 'string', default: '8884' },
      'http-port': { type: 'string', default: '8443' },
      json: { type: 'boolean', default: false },
    },
  });
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (durationS !== undefined && !(Number.isFinite(durationS) && durationS >= 1)) throw new UsageError('--duration must be at least 1 second');
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const accounts: string[][] = [];
  const totp: string[] = [];
  let section = '';
  const heading = (title: string): void => {
    if (section === title) return;
    section = title;
    process.stdout.write(`\n${paint('cyan', title)}\n`);
  };
  const onEvent = (event: DemoEvent): void => {
    if (values.json) {
      process.stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    switch (event.kind) {
      case 'started':
        process.stdout.write(
          [
            paint('bold', 'medsim: telehealth gateway with a demo fleet'),
            `  devices (MQTT, mTLS)  mqtts://127.0.0.1:${event.mqttPort}`,
            `  people (HTTPS API)    https://127.0.0.1:${event.httpPort}/v1   (OpenAPI at /v1/openapi.json)`,
            `  data directory        ${event.dataDir}   (throwaway demo data)`,
            `  CA certificate        ${event.caCert}`,
            '',
          ].join('\n'),
        );
        break;
      case 'account':
        accounts.push([event.username, event.role, event.password, event.totpUri === undefined ? '-' : 'TOTP (below)']);
        if (event.totpUri !== undefined) totp.push(`  ${event.username.padEnd(12)} ${event.totpUri}`);
        break;
      case 'device':
        if (accounts.length > 0) {
          heading('Accounts (generated passwords, shown once; no defaults exist)');
          process.stdout.write(`${table(['user', 'role', 'password', 'second factor'], accounts)}\n${paint('dim', 'TOTP secrets (add to an authenticator app):')}\n${totp.join('\n')}\n`);
          accounts.length = 0;
        }
        heading('Devices enrolled (one-time token + CSR from the device keystore → certificate bound to the device id)');
        process.stdout.write(`  ${mark(true)} ${event.deviceId.padEnd(8)} ${event.model.padEnd(24)} ${event.transport.padEnd(24)} ${event.patient}\n`);
        break;
      case 'reading':
        if (event.reading.kind !== 'vital-sign-reading') break;
        heading('Live readings as dr.kim sees them (end-to-end encrypted, committed before acknowledgement)');
        process.stdout.write(`${describeReading(event)}\n`);
        break;
      case 'check':
        heading(event.attack ? 'Attacks (each must fail)' : 'Checks');
        process.stdout.write(`  ${mark(event.passed)} ${event.title.padEnd(48)} ${event.passed ? paint('green', event.detail) : paint('red', event.detail)}\n`);
        break;
    }
  };
  const result = await runGatewayDemo({
    dataDir: values['data-dir'],
    mqttPort: Number(values['mqtt-port']),
    httpPort: Number(values['http-port']),
    firmwarePort: Number(values['firmware-port']),
    ...(durationS === undefined ? {} : { durationMs: durationS * 1000 }),
    signal: abort.signal,
    logger: createLogger({ level: 'silent' }),
    onEvent,
  });
  if (!values.json) {
    process.stdout.write(
      `\n${result.passed}/${result.checks} checks passed, ${result.readingsStored} readings stored. Next: npm test (every test), npm run bench (speed).\n`,
    );
  } else {
    process.stdout.write(`${JSON.stringify({ kind: 'summary', ...result })}\n`);
  }
  return result.passed === result.checks ? 0 : 1;
}
