/**
 * The generated medsim.v1 messages and enums (protobufjs static code from proto/medsim/v1/*.proto,
 * generated at build time into gen/, never edited by hand), re-exported under their own names.
 */
import './internal/protobuf-runtime.js';
import { medsim } from '../gen/medsim.js';

/** The whole generated namespace: message classes (values) and their types. */
export import v1 = medsim.v1;

/** Names the message inside an envelope. */
export import ContentType = medsim.v1.ContentType;
/** IEEE 11073-10101 parameter code. */
export import VitalParameter = medsim.v1.VitalParameter;
/** IEEE 11073-10101 dimension (unit) code. */
export import Unit = medsim.v1.Unit;
/** IEEE 11073-20601 measurement status. */
export import MeasurementStatus = medsim.v1.MeasurementStatus;
/** Glucose meal context. */
export import MealContext = medsim.v1.MealContext;
/** Width of waveform samples. */
export import SampleEncoding = medsim.v1.SampleEncoding;
/** NASPE/BPEG pacing mode. */
export import PacingMode = medsim.v1.PacingMode;
/** Outcome of a therapy command. */
export import CommandStatus = medsim.v1.CommandStatus;
/** Device operating state. */
export import OperatingState = medsim.v1.OperatingState;
/** IEC 60601-1-8 alarm priority. */
export import AlarmPriority = medsim.v1.AlarmPriority;
/** Alarm condition. */
export import AlarmCode = medsim.v1.AlarmCode;
/** Alarm raised or cleared. */
export import AlarmState = medsim.v1.AlarmState;
/** Phase of a firmware update. */
export import UpdatePhase = medsim.v1.UpdatePhase;
/** Kind of security event. */
export import SecurityEventType = medsim.v1.SecurityEventType;
/** Security event severity. */
export import Severity = medsim.v1.Severity;

/** Decoded message types (generated classes; absent fields read as their proto3 defaults). */
export type EnvelopeHeader = medsim.v1.EnvelopeHeader;
/** The wire form of an envelope. */
export type SealedEnvelope = medsim.v1.SealedEnvelope;
/** HPKE info of a session. */
export type SessionInfo = medsim.v1.SessionInfo;
/** Handshake message, device to gateway. */
export type SessionInit = medsim.v1.SessionInit;
/** Handshake answer, gateway to device (inside an envelope). */
export type SessionAccept = medsim.v1.SessionAccept;
/** One measured value. */
export type Observation = medsim.v1.Observation;
/** Values measured together. */
export type VitalSignReading = medsim.v1.VitalSignReading;
/** One signal of a waveform frame. */
export type WaveformChannel = medsim.v1.WaveformChannel;
/** A batch of waveform samples. */
export type WaveformFrame = medsim.v1.WaveformFrame;
/** A therapy command (the signed bytes). */
export type TherapyCommand = medsim.v1.TherapyCommand;
/** A therapy command with its signature. */
export type SignedTherapyCommand = medsim.v1.SignedTherapyCommand;
/** A device's answer to a command. */
export type TherapyCommandAck = medsim.v1.TherapyCommandAck;
/** A device-signed acknowledgement (non-repudiation). */
export type SignedTherapyCommandAck = medsim.v1.SignedTherapyCommandAck;
/** Periodic device status. */
export type DeviceStatus = medsim.v1.DeviceStatus;
/** An alarm state change. */
export type Alarm = medsim.v1.Alarm;
/** Firmware update progress. */
export type FirmwareUpdateStatus = medsim.v1.FirmwareUpdateStatus;
/** A security event. */
export type SecurityEvent = medsim.v1.SecurityEvent;
/** Outcome of a self-test check. */
export import CheckResult = medsim.v1.CheckResult;
/** What a maintenance command produced (self-test, log). */
export type MaintenanceReport = medsim.v1.MaintenanceReport;
/** One self-test check. */
export type DiagnosticCheck = medsim.v1.DiagnosticCheck;
/** One device log entry. */
export type LogEntry = medsim.v1.LogEntry;
/** Maintenance: open the service mode. */
export type OpenServiceMode = medsim.v1.OpenServiceMode;
/** Maintenance: report the log. */
export type UploadLogs = medsim.v1.UploadLogs;
/** A bolus action. */
export import InsulinBolus = medsim.v1.InsulinBolus;
/** A basal schedule action. */
export import InsulinBasalSchedule = medsim.v1.InsulinBasalSchedule;
/** One basal segment. */
export import BasalSegment = medsim.v1.BasalSegment;
/** A suspend action. */
export import TherapySuspend = medsim.v1.TherapySuspend;
/** A resume action. */
export import TherapyResume = medsim.v1.TherapyResume;
/** A pacing programming action. */
export import PacingParameters = medsim.v1.PacingParameters;
