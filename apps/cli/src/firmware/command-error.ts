/**
 * A refusal a `medsim firmware` action explains to its operator (a key file readable by others, a
 * gateway answer, an image that does not verify): printed on stderr, exit code 1. A command line
 * the action cannot run at all is a UsageError instead (exit code 2).
 */

/** A refusal with a message for the operator (exit code 1). */
export class CommandError extends Error {}
