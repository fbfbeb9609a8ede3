/**
 * The audit stream: security events as structured records (time, actor, role, source, event,
 * outcome, object), written to the log with `audit: true` and handed to every registered sink
 * (the gateway adds its hash-chained audit table, CTL-14). Records carry ids and error codes,
 * never biometric values or secrets; the shared redact list applies to them as to any log line.
 */
import type { Logger } from 'pino';

/** How an audited action ended. */
export type AuditOutcome = 'success' | 'failure' | 'denied';

/** How much an event matters, mapped onto log levels. */
export type AuditSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** One audit record, as callers give it. */
export interface AuditEvent {
  /** Dotted event name, e.g. "auth.login", "envelope.replay", "device.revoke". */
  readonly event: string;
  readonly outcome: AuditOutcome;
  readonly severity: AuditSeverity;
  /** Who acted: a user id, a device id, or "system". */
  readonly actor: string;
  /** The actor's role, e.g. "clinician", "device". */
  readonly role?: string;
  /** Where from: an address or a connection id. */
  readonly source?: string;
  /** What the action was on: a device id, a user id, a command id. */
  readonly object?: string;
  /** The stable error code behind a failure or denial (ERR_...). */
  readonly code?: string;
}

/** An audit record with its time. */
export interface AuditRecord extends AuditEvent {
  /** ISO 8601 time of the record. */
  readonly at: string;
}

/** Receives every audit record (synchronously, in order); a sink that throws fails the record. */
export interface AuditSink {
  append(record: AuditRecord): void;
}

const EVENT_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/u;
const LEVELS = { info: 'info', low: 'info', medium: 'warn', high: 'warn', critical: 'error' } as const;

/** Writes audit records to the log and to the registered sinks. */
export class AuditStream {
  readonly #log: Logger;
  readonly #sinks: AuditSink[] = [];
  readonly #now: () => number;

  constructor(logger: Logger, now: () => number = Date.now) {
    this.#log = logger.child({ component: 'audit' });
    this.#now = now;
  }

  /** Adds a sink; records go to sinks in the order they were added. */
  addSink(sink: AuditSink): void {
    this.#sinks.push(sink);
  }

  /**
   * Records one event. Throws TypeError for a malformed event name (a programming error), and
   * whatever a sink throws: a record that cannot be kept is never reported as kept.
   */
  record(event: AuditEvent): AuditRecord {
    if (!EVENT_NAME.test(event.event)) throw new TypeError(`audit event name "${event.event}" is not dotted lower case`);
    const record: AuditRecord = { ...event, at: new Date(this.#now()).toISOString() };
    for (const sink of this.#sinks) sink.append(record);
    this.#log[LEVELS[event.severity]]({ audit: true, ...record }, event.event);
    return record;
  }
}
