/**
 * The data directory: one place for everything the gateway keeps (CTL-10, CTL-11). The
 * directory is 0700 and every file holding a key 0600, created with that mode (never chmod'ed
 * after a window of looser access); a key file readable by group or others stops start-up.
 */
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, writeSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { GatewayError } from './errors.js';

/** Files in the data directory. */
export const DATA_FILES = {
  database: 'gateway.db',
  caKey: 'ca-key.pem',
  caCert: 'ca-cert.pem',
  serverKey: 'server-key.pem',
  serverCert: 'server-cert.pem',
  gatewayIdentity: 'gateway-identity.json',
  tokenKey: 'token-signing-key.json',
  /** The therapy command-signing key (Ed25519), apart from the session identity (CTL-11). */
  commandKey: 'command-signing-key.json',
  /** The firmware director's instruction-signing key (Ed25519), apart from every other key (CTL-11). */
  directorKey: 'director-signing-key.json',
  /** The TUF snapshot and timestamp keys the gateway signs with online (firmware/online-metadata-signer.ts). */
  firmwareOnlineKeys: 'firmware-online-keys.json',
  /** The update repository's files (a directory, 0700; firmware/blob-store.ts). */
  firmware: 'firmware',
  dataKey: 'data-key.bin',
} as const;

/** An opened data directory. */
export class DataDir {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens (creating it 0700 if absent) the data directory at `path`. */
  static open(path: string): DataDir {
    const absolute = resolve(path);
    try {
      mkdirSync(absolute, { recursive: true, mode: 0o700 });
      if (!statSync(absolute).isDirectory()) throw new Error('not a directory');
    } catch (cause) {
      throw new GatewayError('ERR_DATA_DIR', `cannot use ${absolute} as the data directory`, { cause });
    }
    return new DataDir(absolute);
  }

  /** Absolute path of a file in the directory. */
  file(name: string): string {
    return join(this.path, name);
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  /**
   * Creates a secret file with mode 0600, failing if it exists (O_EXCL: two starting gateways
   * never overwrite each other's keys).
   */
  writeSecret(name: string, data: string | Uint8Array): void {
    const path = this.file(name);
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    } catch (cause) {
      throw new GatewayError('ERR_DATA_DIR', `cannot create key file ${path}`, { cause });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Writes a public file (certificates), 0644. */
  writePublic(name: string, data: string): void {
    const path = this.file(name);
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      writeSync(fd, Buffer.from(data, 'utf8'));
    } catch (cause) {
      throw new GatewayError('ERR_DATA_DIR', `cannot create ${path}`, { cause });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Reads a secret file, refusing one that group or others may read. */
  readSecret(name: string): Buffer {
    const path = this.file(name);
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_RDONLY);
      const mode = fstatSync(fd).mode & 0o077;
      if (mode !== 0) {
        throw new GatewayError('ERR_DATA_DIR', `${path} is readable by group or others (mode must be 0600)`, {
          details: { file: name },
        });
      }
      return readFileSync(fd);
    } catch (cause) {
      if (cause instanceof GatewayError) throw cause;
      throw new GatewayError('ERR_DATA_DIR', `cannot read key file ${path}`, { cause });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Reads a public file. */
  readPublic(name: string): string {
    try {
      return readFileSync(this.file(name), 'utf8');
    } catch (cause) {
      throw new GatewayError('ERR_DATA_DIR', `cannot read ${this.file(name)}`, { cause });
    }
  }

  /** Tightens a file to 0600 (used only on files this process just created). */
  restrict(name: string): void {
    chmodSync(this.file(name), 0o600);
  }
}
