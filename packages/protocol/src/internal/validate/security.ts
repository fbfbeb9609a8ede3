/** Validation of medsim.v1 security.proto messages. */
import { SecurityEventType, Severity, type SecurityEvent } from '../../schema.js';
import { knownEnum, noUnknownFields, text, timestamp } from './checks.js';

/** A security event: known type and severity, bounded identifiers. */
export function validateSecurityEvent(m: SecurityEvent, path = 'SecurityEvent'): void {
  noUnknownFields(m, path);
  knownEnum(SecurityEventType, m.type, path, 'type');
  knownEnum(Severity, m.severity, path, 'severity');
  text(m.errorCode, path, 'errorCode', true);
  timestamp(m.atMs, path, 'atMs');
  text(m.subject, path, 'subject', true);
}
