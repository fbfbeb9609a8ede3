/**
 * Command actions as a user orders them (JSON, one `kind` each) and as the protocol carries them
 * (the `action` oneof of medsim.v1.TherapyCommand), plus the human-readable text the orderer
 * confirms. Two purposes share the signed command path: therapy (clinicians) and maintenance
 * (technicians; issue 4); actionPurpose() tells them apart, and the permission matrix decides who
 * orders which (CTL-01). Ranges are the protocol's own validators (encodeMessage runs them), so the
 * gateway never signs what a device would refuse as malformed (CTL-09); a device applies its own,
 * usually stricter, interlocks on top.
 */
import { MedsimError, PacingMode, encodeMessage, type MessageFields } from '@medsim/protocol';
import { TherapyActionInvalidError } from '../errors.js';

/** Pacing modes by their NASPE/BPEG name (the JSON form). */
export const PACING_MODES = ['AAI', 'VVI', 'DDD', 'VVIR', 'DDDR', 'ODO'] as const;

/** A pacing mode name. */
export type PacingModeName = (typeof PACING_MODES)[number];

/** One basal segment: from `startMinute` of the day, `rateMilliunitsPerHour`. */
export interface BasalSegmentJson {
  readonly startMinute: number;
  readonly rateMilliunitsPerHour: number;
}

/** A therapy action as ordered. Amounts are integers in the protocol's units (mU, mV, µs). */
export type TherapyAction =
  | { readonly kind: 'insulin-bolus'; readonly amountMilliunits: number; readonly durationMinutes: number }
  | { readonly kind: 'basal-schedule'; readonly segments: readonly BasalSegmentJson[] }
  | { readonly kind: 'suspend'; readonly durationMinutes: number }
  | { readonly kind: 'resume' }
  | {
      readonly kind: 'pacing-parameters';
      readonly mode: PacingModeName;
      readonly lowerRatePpm: number;
      readonly upperRatePpm: number;
      readonly amplitudeMillivolts: number;
      readonly pulseWidthMicroseconds: number;
    };

/**
 * A maintenance action as ordered (maintenance.proto, therapy.proto OpenServiceMode…UploadLogs).
 * None carries patient data: a device answers with identifiers and numbers only (MaintenanceReport).
 */
export type MaintenanceAction =
  | { readonly kind: 'open-service-mode'; readonly durationMinutes: number }
  | { readonly kind: 'close-service-mode' }
  | { readonly kind: 'run-diagnostics' }
  | {
      readonly kind: 'upload-logs';
      /** Device time, ms since the Unix epoch; 0 (the default) means every entry the device kept. */
      readonly sinceMs: number;
      readonly maxEntries: number;
    };

/** Any action of the command path. */
export type CommandAction = TherapyAction | MaintenanceAction;

/** A therapy action kind. */
export type TherapyActionKind = TherapyAction['kind'];

/** A maintenance action kind. */
export type MaintenanceActionKind = MaintenanceAction['kind'];

/** Any action kind. */
export type CommandActionKind = CommandAction['kind'];

/** What a command is for: the gateway lets clinicians order therapy and technicians maintenance. */
export type CommandPurpose = 'therapy' | 'maintenance';

/** The purpose of each kind (a Record, so a new kind without a purpose does not compile). */
const PURPOSE_OF: Readonly<Record<CommandActionKind, CommandPurpose>> = {
  'insulin-bolus': 'therapy',
  'basal-schedule': 'therapy',
  suspend: 'therapy',
  resume: 'therapy',
  'pacing-parameters': 'therapy',
  'open-service-mode': 'maintenance',
  'close-service-mode': 'maintenance',
  'run-diagnostics': 'maintenance',
  'upload-logs': 'maintenance',
};

/** Every maintenance action kind. */
export const MAINTENANCE_ACTION_KINDS = (Object.keys(PURPOSE_OF) as CommandActionKind[]).filter((k): k is MaintenanceActionKind => PURPOSE_OF[k] === 'maintenance');

/** Whether `kind` is a therapy or a maintenance action. */
export function actionPurpose(kind: CommandActionKind): CommandPurpose {
  return PURPOSE_OF[kind];
}

/** The `action` members of a TherapyCommand. */
export type ActionFields = Pick<
  MessageFields['TherapyCommand'],
  'insulinBolus' | 'basalSchedule' | 'suspend' | 'resume' | 'pacingParameters' | 'openServiceMode' | 'closeServiceMode' | 'runDiagnostics' | 'uploadLogs'
>;

/** A therapy action as it arrives in a request (bolus duration optional: 0, an immediate bolus). */
export type TherapyActionInput = Exclude<TherapyAction, { kind: 'insulin-bolus' }> | { readonly kind: 'insulin-bolus'; readonly amountMilliunits: number; readonly durationMinutes?: number };

/** A maintenance action as it arrives in a request (`sinceMs` optional: 0, every entry kept). */
export type MaintenanceActionInput =
  | Exclude<MaintenanceAction, { kind: 'upload-logs' }>
  | { readonly kind: 'upload-logs'; readonly sinceMs?: number; readonly maxEntries: number };

/** Any action as it arrives in a request. */
export type CommandActionInput = TherapyActionInput | MaintenanceActionInput;

/** The action with defaults filled in (what is stored, shown and signed). */
export function normalizeAction(input: CommandActionInput): CommandAction {
  switch (input.kind) {
    case 'insulin-bolus':
      return { kind: 'insulin-bolus', amountMilliunits: input.amountMilliunits, durationMinutes: input.durationMinutes ?? 0 };
    case 'basal-schedule':
      return { kind: 'basal-schedule', segments: input.segments.map((s) => ({ startMinute: s.startMinute, rateMilliunitsPerHour: s.rateMilliunitsPerHour })) };
    case 'suspend':
      return { kind: 'suspend', durationMinutes: input.durationMinutes };
    case 'resume':
      return { kind: 'resume' };
    case 'pacing-parameters':
      return {
        kind: 'pacing-parameters',
        mode: input.mode,
        lowerRatePpm: input.lowerRatePpm,
        upperRatePpm: input.upperRatePpm,
        amplitudeMillivolts: input.amplitudeMillivolts,
        pulseWidthMicroseconds: input.pulseWidthMicroseconds,
      };
    case 'open-service-mode':
      return { kind: 'open-service-mode', durationMinutes: input.durationMinutes };
    case 'close-service-mode':
      return { kind: 'close-service-mode' };
    case 'run-diagnostics':
      return { kind: 'run-diagnostics' };
    case 'upload-logs':
      return { kind: 'upload-logs', sinceMs: input.sinceMs ?? 0, maxEntries: input.maxEntries };
  }
}

/** The protocol's `action` oneof for an action. */
export function toActionFields(a: CommandAction): ActionFields {
  switch (a.kind) {
    case 'insulin-bolus':
      return { insulinBolus: { amountMilliunits: a.amountMilliunits, durationMinutes: a.durationMinutes } };
    case 'basal-schedule':
      return { basalSchedule: { segments: a.segments.map((s) => ({ startMinute: s.startMinute, rateMilliunitsPerHour: s.rateMilliunitsPerHour })) } };
    case 'suspend':
      return { suspend: { durationMinutes: a.durationMinutes } };
    case 'resume':
      return { resume: {} };
    case 'pacing-parameters':
      return {
        pacingParameters: {
          mode: PacingMode[`PACING_MODE_${a.mode}`],
          lowerRatePpm: a.lowerRatePpm,
          upperRatePpm: a.upperRatePpm,
          amplitudeMillivolts: a.amplitudeMillivolts,
          pulseWidthMicroseconds: a.pulseWidthMicroseconds,
        },
      };
    case 'open-service-mode':
      return { openServiceMode: { durationMinutes: a.durationMinutes } };
    case 'close-service-mode':
      return { closeServiceMode: {} };
    case 'run-diagnostics':
      return { runDiagnostics: {} };
    case 'upload-logs':
      return { uploadLogs: { sinceMs: a.sinceMs, maxEntries: a.maxEntries } };
  }
}

/**
 * Checks an action against the protocol by encoding a complete command around it (placeholder
 * ids and times, the real device id): the same validators a device runs on what it receives.
 * Throws TherapyActionInvalidError naming the field.
 */
export function validateAction(a: CommandAction, deviceId: string, nowMs: number): void {
  try {
    encodeMessage('TherapyCommand', {
      commandId: new Uint8Array(16),
      deviceId,
      commandSequence: 1,
      nonce: new Uint8Array(16),
      issuedAtMs: nowMs,
      expiresAtMs: nowMs + 1,
      issuerUserId: 'validation',
      issuerSessionId: 'validation',
      confirmedAtMs: nowMs,
      ...toActionFields(a),
    });
  } catch (error) {
    if (!(error instanceof MedsimError)) throw error;
    const field = typeof error.details['field'] === 'string' ? error.details['field'].replace(/^TherapyCommand\./u, '') : 'action';
    throw new TherapyActionInvalidError(`the action is not valid: ${error.message.replace(/^TherapyCommand\./u, '')}`, {
      cause: error,
      details: { field, protocolCode: error.code },
    });
  }
}

const units = (milli: number): string => (milli / 1000).toFixed(3);
const clock = (minute: number): string => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/**
 * What the action does, in words the orderer checks before confirming, e.g. "Bolus 2.500 U now".
 * Units are spelled out with three decimals for insulin (the pump's resolution is 0.001 U), so
 * 2.5 U and 25 U never look alike. Log times are device time, shown in UTC.
 */
export function describeAction(a: CommandAction): string {
  switch (a.kind) {
    case 'insulin-bolus':
      return a.durationMinutes === 0 ? `Bolus ${units(a.amountMilliunits)} U now` : `Extended bolus ${units(a.amountMilliunits)} U over ${a.durationMinutes} min`;
    case 'basal-schedule':
      return `Basal schedule ${a.segments.map((s) => `${clock(s.startMinute)} ${units(s.rateMilliunitsPerHour)} U/h`).join(', ')}`;
    case 'suspend':
      return `Suspend insulin delivery for ${a.durationMinutes} min`;
    case 'resume':
      return 'Resume insulin delivery';
    case 'pacing-parameters':
      return `Pacing ${a.mode} ${a.lowerRatePpm}-${a.upperRatePpm} ppm, ${(a.amplitudeMillivolts / 1000).toFixed(2)} V, ${(a.pulseWidthMicroseconds / 1000).toFixed(2)} ms`;
    case 'open-service-mode':
      return `Open service mode for ${a.durationMinutes} min`;
    case 'close-service-mode':
      return 'Close service mode';
    case 'run-diagnostics':
      return 'Run diagnostics (self-test)';
    case 'upload-logs':
      return `Upload the device log, at most ${a.maxEntries} entries${a.sinceMs === 0 ? '' : ` since ${new Date(a.sinceMs).toISOString()}`}`;
  }
}
