/**
 * Makes the protobufjs runtime return 64-bit integers as JS numbers, as the generated types
 * (`--force-number`) declare; by default it returns `Long` objects whenever `long` is installed.
 * Values of 2^53 and above lose precision as numbers, so every uint64 field is checked to be a
 * safe integer when validated: such values are refused, never silently rounded into acceptance.
 *
 * This configures the protobufjs singleton for the whole process; medsim owns its processes.
 */
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = null as unknown as typeof $protobuf.util.Long;
$protobuf.configure();
