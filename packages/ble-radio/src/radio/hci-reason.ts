/**
 * HCI error codes used as disconnection reasons (Bluetooth Core 5.4 Vol 1 Part F §1.3, "List of
 * error codes"). noble hands them to `peripheral.on('disconnect', reason)` and rejects pending
 * `*Async` calls with `Disconnected <reason>`; the radio reports the same numbers a Linux HCI
 * controller would.
 */

/** The disconnection reasons the radio produces. */
export const HCI_REASON = {
  /** 0x02: a disconnect was asked for a connection that does not exist. */
  UNKNOWN_CONNECTION_IDENTIFIER: 0x02,
  /** 0x08: the link supervision timer expired (peer gone, out of range, power loss, interference). */
  CONNECTION_TIMEOUT: 0x08,
  /** 0x13: the remote host ended the connection (LL_TERMINATE_IND received). */
  REMOTE_USER_TERMINATED: 0x13,
  /** 0x15: the remote device ended the connection because it is powering off. */
  REMOTE_POWER_OFF: 0x15,
  /** 0x16: this host ended the connection. */
  LOCAL_HOST_TERMINATED: 0x16,
  /** 0x3D: a received PDU failed its AES-CCM MIC check (tampering or key mismatch). */
  MIC_FAILURE: 0x3d,
  /** 0x3E: the connection could not be established (peer not advertising connectably). */
  CONNECTION_FAILED_TO_BE_ESTABLISHED: 0x3e,
} as const;

/** An HCI error code (0x00–0xFF). */
export type HciReason = number;

const NAMES: Readonly<Record<number, string>> = {
  0x02: 'Unknown Connection Identifier',
  0x08: 'Connection Timeout',
  0x13: 'Remote User Terminated Connection',
  0x15: 'Remote Device Terminated due to Power Off',
  0x16: 'Connection Terminated By Local Host',
  0x3d: 'Connection Terminated due to MIC Failure',
  0x3e: 'Connection Failed to be Established',
};

/** The specification's name for an HCI reason, or its hex value. */
export function hciReasonName(reason: HciReason): string {
  return NAMES[reason] ?? `HCI 0x${reason.toString(16).padStart(2, '0')}`;
}
