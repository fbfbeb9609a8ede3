/**
 * FDA, "Cybersecurity in Medical Devices: Quality System Considerations and Content of Premarket
 * Submissions" (final 2023-09-27; re-issued 2025-06-27 with §VII on section 524B cyber devices):
 * the eight security control categories of §V.B.1 and Appendix 1, unchanged across editions.
 * reference/regulatory.md §3.1, §3.7.
 *
 * Category names and recommendations are verbatim, the recommendations condensed; text read from
 * sbd-community/handbook `source-material/fda-cybersecurity-in-medical-devices-202309.md` and
 * `…-202506.md`. Appendix 1 calls the eighth category "Firmware and Software Updates".
 */
import type { RequirementProfile } from '../../model.js';

const GUIDANCE = 'FDA premarket cybersecurity guidance (2023-09-27; 2025-06-27), §V.B.1 and Appendix 1';
const GROUP = 'Security control categories (§V.B.1, Appendix 1)';
const FDA = 'FDA Cybersecurity in Medical Devices (premarket guidance, 2025)';

/** The FDA premarket profile. */
export const FDA_PREMARKET: RequirementProfile = {
  id: 'fda-premarket',
  title: 'FDA premarket cybersecurity guidance: security control categories (§V.B.1, Appendix 1)',
  note: 'The eight security control categories, verbatim, with FDA\'s recommendations condensed; the categories are unchanged from the 2023 edition to the 2025 re-issue.',
  items: [
    {
      id: 'FDA-1',
      group: GROUP,
      text: 'Authentication: cryptographically strong authentication of personnel, messages, commands and updates; mutual authentication of sessions with an offsite server, with limited duration; MFA for privileged access; no hard-coded, default or shared passwords; anti-replay by nonces; authenticated telemetry; CRCs are not a security control; defined behaviour on authentication failure.',
      provenance: 'verbatim',
      basis: GUIDANCE,
      standards: [FDA, 'NIST SP 800-63B', 'IEC 62443-4-2 CR 1.1', 'IEC 62443-4-2 CR 1.2'],
      controls: ['CTL-02', 'CTL-05', 'CTL-08', 'CTL-07', 'CTL-12'],
    },
    {
      id: 'FDA-2',
      group: GROUP,
      text: 'Authorization: least privilege by role (caregiver, patient, health care provider, administrator); automatic timed session termination; deny by default; a patient credential must not reach manufacturer or health care provider functions such as changing a dosage.',
      provenance: 'verbatim',
      basis: GUIDANCE,
      standards: [FDA, 'IEC 62443-4-2 CR 2.1'],
      controls: ['CTL-01', 'CTL-03', 'CTL-04', 'CTL-17', 'CTL-18'],
    },
    {
      id: 'FDA-3',
      group: GROUP,
      text: 'Cryptography: industry-standard algorithms at NIST-current strength, nothing deprecated; no master keys on the device and no keys derived from serial numbers, so one device\'s compromise reveals no other\'s keys; negotiate the most secure versions, with no downgrade (log any that happens).',
      provenance: 'verbatim',
      basis: GUIDANCE,
      standards: [FDA, 'FIPS 140-3', 'NIST SP 800-131A', 'IEC 62443-4-2 CR 4.3'],
      controls: ['CTL-06', 'CTL-07', 'CTL-11'],
    },
    {
      id: 'FDA-4',
      group: GROUP,
      text: 'Code, data and execution integrity: authenticate firmware and software and signed version metadata; install only cryptographically authenticated updates and prevent rollback; validate before execution (allow-list); lock debug ports; verify the integrity and validity of incoming data with range checks; protect safety-critical configuration; host-based execution integrity.',
      provenance: 'verbatim',
      basis: GUIDANCE,
      standards: [FDA, 'IEC 62443-4-2 CR 3.4', 'IEC 62443-4-2 CR 3.5', 'IEC 62443-4-2 CR 3.14'],
      controls: ['CTL-12', 'CTL-13', 'CTL-09', 'CTL-19', 'CTL-24', 'CTL-21'],
    },
    {
      id: 'FDA-5',
      group: GROUP,
      text: 'Confidentiality: protect data and credentials whose disclosure could lead to patient harm, including multi-patient harm, and protect keys.',
      provenance: 'verbatim',
      basis: GUIDANCE,
      standards: [FDA, 'IEC 62443-4-2 CR 4.1'],
      controls: ['CTL-07', 'CTL-10', 'CTL-11'],
    },
    {
      id: 'FDA-6',
      group: GROUP,
      text: 'Event detection and logging: detect, log, time-stamp and act on attempted and actual compromise; forensic capture with off-device log storage; documented log location, rotation and format for IDS/SIEM; secure configuration; anti-malware where the OS calls for it; machine-readable configuration and change tracking; notify users of anomalies; produce a machine-readable SBOM.',
      provenance: 'verbatim',
      basis: GUIDANCE,
      standards: [FDA, 'IEC 62443-4-2 CR 2.8', 'IEC 62443-4-2 CR 6.2', 'NTIA SBOM minimum elements'],
      controls: ['CTL-14', 'CTL-15', 'CTL-22', 'CTL-20', 'CTL-17'],
    },
    {
      id: 'FDA-7',
      group: GROUP,
      text: 'Resiliency and recovery: protect critical functions when partly compromised; authenticated restore of a trusted default configuration; specified independent function when communication is lost; resilience to outages, denial of service, bandwidth and quality-of-service problems, jitter and scanning.',
      provenance: 'verbatim',
      basis: GUIDANCE,
      standards: [FDA, 'IEC 62443-4-2 CR 7.1', 'IEC 62443-4-2 CR 7.4'],
      controls: ['CTL-16', 'CTL-21', 'CTL-23'],
    },
    {
      id: 'FDA-8',
      group: GROUP,
      text: 'Updatability and patchability ("Firmware and Software Updates" in Appendix 1): design for future patches; reliable updates under interruption; security patches outside feature cycles; fast verification, validation and distribution; preserved build environments; a secure mechanism for validated updates.',
      provenance: 'verbatim',
      basis: GUIDANCE,
      standards: [FDA, 'IEC 81001-5-1', 'IEC 62443-4-2 CR 3.10'],
      controls: ['CTL-12', 'CTL-20'],
    },
  ],
};
