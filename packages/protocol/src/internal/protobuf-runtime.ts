/**
 * Configures the protobufjs runtime for medsim's strict decoding:
 * - 64-bit integers as JS numbers, as the generated types (`--force-number`) declare; by default
 *   it returns `Long` objects whenever `long` is installed. Values of 2^53 and above lose
 *   precision as numbers, so every uint64 field is checked to be a safe integer when validated:
 *   such values are refused, never silently rounded into acceptance.
 * - Unknown fields kept (in `$unknowns`) instead of silently dropped, so that the validators can
 *   refuse them (ERR_PROTOCOL_UNKNOWN_FIELD, C12); this also catches a known field sent with
 *   another wire type, which the generated decoder would otherwise skip.
 *
 * This configures the protobufjs singleton for the whole process; medsim owns its processes.
 */
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = null as unknown as typeof $protobuf.util.Long;
$protobuf.configure();
$protobuf.Reader.discardUnknown = false;
