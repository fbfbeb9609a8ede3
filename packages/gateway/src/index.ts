/**
 * @medsim/gateway: the telehealth gateway. createGateway() → listen() → close().
 */
export * from './errors.js';
export * from './config/config.js';
export * from './gateway.js';
export type { GatewayContext, TokenKey, TlsMaterial } from './context.js';
export { DATA_FILES, DataDir } from './data-dir.js';
export { openDatabase, type Database } from './store/database.js';
export { DataKey } from './store/at-rest.js';
export { MAX_MAINTENANCE_REPORT_PAGE, type ReadingJson, type ReadingQuery, type StoredPayload } from './store/readings.js';
export { verifyAuditChain, exportAuditLog, queryAuditLog, type AuditEntry, type AuditVerification } from './audit/audit-log.js';
export type { DeviceRecord, EnrolmentResult } from './devices/device-registry.js';
export { deviceUri } from './pki/local-ca.js';
export { TLS12_AEAD_CIPHERS } from './pki/device-tls.js';
export * from './user-plane/index.js';
export { DeviceDownlinks, type Downlink, type DownlinkEvents, type DownlinkTransport } from './device-plane/downlinks.js';
export type { CommittedEnvelope } from './device-plane/ingest.js';
export {
  TherapyCommands,
  DEFAULT_THERAPY_TIMING,
  MAX_THERAPY_PAGE,
  type StepUp,
  type TherapyCommandRecord,
  type TherapyCommandsOptions,
  type TherapyLink,
  type TherapyTiming,
} from './therapy/therapy-commands.js';
export {
  verifyCommandEvidence,
  ackStatusName,
  EVIDENCE_FORMAT,
  THERAPY_COMMAND_ACK_LABEL,
  THERAPY_COMMAND_LABEL,
  type CommandEvidence,
  type EvidenceExpectations,
  type SignedPart,
  type TherapyCommandStatus,
  type VerifiedEvidence,
} from './therapy/command-evidence.js';
export {
  MAINTENANCE_ACTION_KINDS,
  PACING_MODES,
  actionPurpose,
  describeAction,
  type CommandAction,
  type CommandActionInput,
  type CommandActionKind,
  type CommandPurpose,
  type MaintenanceAction,
  type MaintenanceActionInput,
  type MaintenanceActionKind,
  type PacingModeName,
  type TherapyAction,
  type TherapyActionInput,
  type TherapyActionKind,
} from './therapy/therapy-action.js';
export {
  listMaintenanceReports,
  maintenanceReportToJson,
  type DiagnosticCheckJson,
  type LogEntryJson,
  type MaintenanceReportJson,
  type MaintenanceReportPage,
} from './therapy/maintenance-report.js';
export * from './device-plane/ble-central.js';
export { FirmwareService, type FirmwareServiceOptions } from './firmware/firmware-service.js';
export {
  BUNDLE_LIMITS,
  FirmwareStore,
  NO_ONLINE_SIGNING,
  type MetadataRecord,
  type MetadataSigner,
  type Publisher,
  type PublishResult,
  type ReleaseBundle,
  type RepositoryReader,
  type TargetRecord,
} from './firmware/firmware-store.js';
export { METADATA_MAX_BYTES, parseMetadataName, parseTargetFileName, type MetadataName, type MetadataRole, type TargetFileName } from './firmware/repository-names.js';
export {
  Campaigns,
  MAX_CAMPAIGN_PAGE,
  type CampaignDeviceRecord,
  type CampaignInput,
  type CampaignProgress,
  type CampaignRecord,
  type DeviceAssignment,
} from './firmware/campaigns.js';
export {
  CAMPAIGN_LIMITS,
  CAMPAIGN_STATUSES,
  DEFAULT_STAGES,
  DEVICE_UPDATE_STATUSES,
  REPORTED_STATES,
  type CampaignStatus,
  type DeviceUpdateStatus,
  type ReportedState,
} from './firmware/campaign-rules.js';
export { parseDeviceReport, type DeviceReport } from './firmware/device-report.js';
export { Director } from './firmware/director.js';
export { DeliveryServer } from './firmware/delivery-server.js';
export * from './firmware/online-metadata-signer.js';
