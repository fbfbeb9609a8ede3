/**
 * createLogger(): the pino logger every medsim process starts from. Libraries take a `logger`
 * option and derive `logger.child({ component })`; without one they log nothing (silentLogger).
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { PHI_REDACT_PATHS, REDACTED } from './redact.js';

/** A medsim logger (pino). */
export type { Logger } from 'pino';

/** Options of createLogger(). */
export interface LoggerOptions {
  /** Lowest level written; 'info' by default, 'silent' writes nothing. */
  readonly level?: Level | 'silent';
  /** The service name on every line; 'medsim' by default. */
  readonly name?: string;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  readonly destination?: DestinationStream;
}

/** A JSON-lines logger with ISO times, level names and the shared PHI/secret redaction. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    name: options.name ?? 'medsim',
    level: options.level ?? 'info',
    redact: { paths: [...PHI_REDACT_PATHS], censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A logger that writes nothing: the default of every library's `logger` option. */
export const silentLogger: Logger = createLogger({ level: 'silent' });

/** The child logger of one component, e.g. componentLogger(logger, 'broker'). */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}
