/**
 * Small persisted values of the control path (replay state, therapy settings, command journal):
 * what a controlled device must remember across a reboot so that a restarted device still refuses
 * a replayed command and still runs the last verified therapy. The device runtime passes states
 * backed by its simulated flash directory; tests use MemoryState or JsonFileState in a tmp dir.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, fchmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { ControlStateCorruptError } from '../errors.js';

/** One persisted value: load() what the last save() stored, or undefined before the first save. */
export interface PersistentState<T> {
  /** The last saved value, or undefined if none was ever saved. Throws ControlStateCorruptError. */
  load(): T | undefined;
  /** Stores `value` durably before returning (a crash after save() returns cannot lose it). */
  save(value: T): void;
}

/** Checks the shape of a loaded value and returns it typed; throws (any error) when it does not fit. */
export type StateParser<T> = (value: unknown) => T;

/**
 * Keeps the value in memory, as a deep copy (structuredClone), so that a caller mutating its object
 * after save() changes nothing stored, as with a file. For tests and for devices without persistence.
 */
export class MemoryState<T> implements PersistentState<T> {
  #value: T | undefined;

  constructor(initial?: T) {
    this.#value = initial === undefined ? undefined : structuredClone(initial);
  }

  /** A copy of the stored value. */
  load(): T | undefined {
    return this.#value === undefined ? undefined : structuredClone(this.#value);
  }

  /** Stores a copy of `value`. */
  save(value: T): void {
    this.#value = structuredClone(value);
  }
}

/** Options of a JsonFileState. */
export interface JsonFileStateOptions<T> {
  /** Validates what load() read; without it the JSON is trusted to be a T. */
  readonly parse?: StateParser<T>;
}

/**
 * A value stored as one JSON file, replaced atomically: the new content goes to a temporary file
 * in the same directory (mode 0600: therapy settings and command history are patient data),
 * which is fsynced, renamed over the old file, and the directory fsynced, so that after a crash
 * the file holds either the old or the new value, never a torn mix (POSIX rename(2) is atomic
 * within a file system). The value must be JSON-serializable (no bytes: store them as hex).
 */
export class JsonFileState<T> implements PersistentState<T> {
  readonly path: string;
  readonly #parse: StateParser<T> | undefined;

  constructor(path: string, options: JsonFileStateOptions<T> = {}) {
    this.path = path;
    this.#parse = options.parse;
  }

  /** Reads and parses the file; undefined when it does not exist. Throws ControlStateCorruptError. */
  load(): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ControlStateCorruptError('persisted control state cannot be read', { cause: error });
    }
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (cause) {
      throw new ControlStateCorruptError('persisted control state is not valid JSON', { cause });
    }
    if (this.#parse === undefined) return value as T;
    try {
      return this.#parse(value);
    } catch (cause) {
      if (cause instanceof ControlStateCorruptError) throw cause;
      throw new ControlStateCorruptError('persisted control state does not have the expected shape', { cause });
    }
  }

  /** Writes `value` atomically and durably (temp file, fsync, rename, directory fsync). */
  save(value: T): void {
    const directory = dirname(this.path);
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.tmp`;
    // A temp file left by a crash is stale: remove it so that 'wx' creates a fresh 0600 file.
    try {
      unlinkSync(temporary);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      // The umask can only clear bits of 0600; fchmod states the mode whatever the umask.
      fchmodSync(fd, 0o600);
      const bytes = Buffer.from(JSON.stringify(value), 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    // The rename is durable only once the directory entry is on disk (fsync(2): "fsync() on the
    // directory is also needed"). Linux and macOS allow it; Windows cannot open a directory.
    let directoryFd: number | undefined;
    try {
      directoryFd = openSync(directory, 'r');
      fsyncSync(directoryFd);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
    } finally {
      if (directoryFd !== undefined) closeSync(directoryFd);
    }
  }
}
