#!/usr/bin/env node
/**
 * The medsim command line. One file per subcommand in src/commands/.
 */
import { admin, adminUsage } from '../commands/admin.js';
import { audit, auditUsage } from '../commands/audit.js';
import { bench, benchUsage } from '../commands/bench.js';
import { UsageError } from '../commands/usage-error.js';
import { demo, demoUsage } from '../commands/demo.js';
import { firmware, firmwareUsage } from '../commands/firmware.js';
import { report, reportUsage } from '../commands/report.js';
import { fleet, fleetUsage } from '../commands/fleet.js';
import { gateway, gatewayUsage } from '../commands/gateway.js';
import { start, startUsage } from '../commands/start.js';

const COMMANDS: Readonly<Record<string, { run: (argv: readonly string[]) => Promise<number>; usage: string }>> = {
  start: { run: start, usage: startUsage },
  gateway: { run: gateway, usage: gatewayUsage },
  fleet: { run: fleet, usage: fleetUsage },
  firmware: { run: firmware, usage: firmwareUsage },
  report: { run: report, usage: reportUsage },
  demo: { run: demo, usage: demoUsage },
  bench: { run: bench, usage: benchUsage },
  audit: { run: audit, usage: auditUsage },
  admin: { run: admin, usage: adminUsage },
};

const usage = `usage: medsim <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.usage.split('\n')[0]?.replace(`medsim ${name} `, '') ?? ''}`)
  .join('\n')}

medsim <command> --help shows a command's options.`;

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`medsim: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`medsim ${name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
