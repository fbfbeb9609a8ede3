/**
 * The facts `medsim report` takes from the system itself rather than from anyone's say-so: the
 * checklist header from the device models and network profiles in @medsim/devices, and the
 * software identity (commit, whether the tree had uncommitted changes, runtime, tool versions).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { checklistHeader, type ChecklistHeader, type HeaderDevice, type SoftwareIdentity } from '@medsim/compliance';
import { DEVICE_MODEL_INFO, NETWORK_PROFILES } from '@medsim/devices';

const TECHNOLOGY_LABELS: Readonly<Record<string, string>> = { wifi: 'Wi-Fi', lte: 'LTE', '3g': '3G', ethernet: 'Ethernet', satellite: 'Satellite' };

/** Where the devices are used (the 2022 form's 사용 환경). */
export const USE_ENVIRONMENT = 'Home and hospital: patients at home (BLE to a gateway, Wi-Fi, LTE, 3G, public networks) and bedside and imaging equipment in hospital (hospital Wi-Fi)';

/** The checklist header of the device models medsim simulates. */
export function systemHeader(): ChecklistHeader {
  const networks = Object.values(NETWORK_PROFILES).map((p) => ({ name: p.name, technology: p.technology, public: p.public }));
  const networkTechnologies = [...new Set(networks.filter((n) => n.technology !== 'ethernet' || n.name !== 'ideal').map((n) => TECHNOLOGY_LABELS[n.technology] ?? n.technology))];
  const devices: HeaderDevice[] = Object.values(DEVICE_MODEL_INFO).map((info) => ({
    model: info.model,
    displayName: info.displayName,
    safetyLevel: info.safetyLevel,
    purposes: info.purposes,
    technologies: info.transports.flatMap((t) => (t === 'ble' ? ['BLE'] : networkTechnologies)),
  }));
  // The lab profile 'ideal' (loopback) is a test fixture, not a deployment path.
  return checklistHeader(devices, networks.filter((n) => n.name !== 'ideal'), USE_ENVIRONMENT);
}

const git = (root: string, args: readonly string[]): string => {
  try {
    return execFileSync('git', [...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

const versionOf = (root: string, pkg: string): string => {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
};

/** The software under test, from the repository at `root`. */
export function softwareIdentity(root: string): SoftwareIdentity {
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  return {
    name: rootPackage.name,
    version: rootPackage.version,
    commit: git(root, ['rev-parse', 'HEAD']) || 'unknown (not a git checkout)',
    dirty: git(root, ['status', '--porcelain']) !== '',
    environment: { 'Node.js': process.version, OS: `${platform()} ${release()} (${arch()})`, CPU: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}` },
    tools: Object.fromEntries(['vitest', 'typescript', 'fast-check', 'tuf-js', 'jose', 'aedes', '@stoprocent/noble', '@cyclonedx/cyclonedx-npm'].map((pkg) => [pkg, versionOf(root, pkg)])),
  };
}
