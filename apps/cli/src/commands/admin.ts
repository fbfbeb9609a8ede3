/**
 * `medsim admin create`: creates a user with a generated password (and a TOTP secret for roles
 * that need one), printed once. Works beside a running gateway (SQLite WAL).
 */
import { USER_ROLES, createGateway, generatePassword, type UserRole } from '@medsim/gateway';
import { createLogger } from '@medsim/logging';
import { parseArgs } from 'node:util';
import { configFromFlags } from './gateway.js';
import { UsageError } from './usage-error.js';

/** Usage of `medsim admin`. */
export const adminUsage = `medsim admin create --username NAME [--role admin|technician|auditor|clinician] [--data-dir DIR] [--json]

Creates a user with a generated password (shown once). Admins, technicians and auditors also get
a TOTP secret (otpauth:// URI, shown once). Patients are created through the API, linked to
their patient record.`;

/** Runs `medsim admin`; returns the exit code. */
export async function admin(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { username: { type: 'string' }, role: { type: 'string', default: 'admin' }, 'data-dir': { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (positionals[0] !== 'create') throw new UsageError('say create');
  if (values.username === undefined) throw new UsageError('--username is required');
  const role = values.role as UserRole;
  if (!USER_ROLES.includes(role) || role === 'patient') throw new UsageError('--role must be admin, technician, auditor or clinician');
  const gateway = await createGateway({ config: configFromFlags(values), logger: createLogger({ level: 'silent' }) });
  try {
    const password = generatePassword();
    const created = await gateway.users.createUser({ username: values.username, role, password });
    gateway.context.audit.record({ event: 'user.create', outcome: 'success', severity: 'medium', actor: 'cli', role: 'admin', object: created.id });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ id: created.id, username: values.username, role, password, totpUri: created.totpUri })}\n`);
    } else {
      process.stdout.write(
        [`created ${role} ${values.username} (shown once; store it now)`, `  password  ${password}`, ...(created.totpUri === undefined ? [] : [`  TOTP      ${created.totpUri}`]), ''].join('\n'),
      );
    }
    return 0;
  } finally {
    await gateway.close();
  }
}
