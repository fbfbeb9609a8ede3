/** Validation of medsim.v1 firmware.proto messages. */
import { UpdatePhase, type FirmwareUpdateStatus } from '../../schema.js';
import { inconsistent, integerIn, knownEnum, noUnknownFields, text, timestamp, uint64 } from './checks.js';

/** Update progress: a known phase, received bytes never above the total. */
export function validateFirmwareUpdateStatus(m: FirmwareUpdateStatus, path = 'FirmwareUpdateStatus'): void {
  noUnknownFields(m, path);
  text(m.campaignId, path, 'campaignId', true);
  text(m.targetVersion, path, 'targetVersion', true);
  text(m.installedVersion, path, 'installedVersion');
  knownEnum(UpdatePhase, m.phase, path, 'phase');
  uint64(m.bytesReceived, path, 'bytesReceived');
  uint64(m.bytesTotal, path, 'bytesTotal');
  if (m.bytesReceived > m.bytesTotal) inconsistent(path, 'bytesReceived', 'more bytes received than the total');
  integerIn(m.securityCounter, path, 'securityCounter', 0, 0xffff_ffff);
  text(m.errorCode, path, 'errorCode', true);
  timestamp(m.atMs, path, 'atMs');
}
