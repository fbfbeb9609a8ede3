/**
 * MFDS checklist, Generation B: the 2021-10 amendment "for global harmonization" (the "KFDA
 * CS:2022" form; still in force with Guide-0995-03 of 2023), whose 15 requirements are IMDRF N60
 * (2020) Table 1. reference/regulatory.md §1.4, §2.2, §3.7.
 *
 * The wording is IMDRF's, condensed. B1-B5 were also seen in the MFDS-format Korean checklist
 * (wiki.girjae.com; B5 only in part), hence 'verbatim-ko'; B6-B15 are verbatim IMDRF text whose
 * MFDS Korean rows were not seen, though the count (3+2+3+1+4+1+1 = 15) matches the "existing 15
 * requirements" of the 2024 news. Controls follow §2.2, with CTL-12 on B10-B13 from §3.7.
 */
import type { RequirementProfile } from '../../model.js';

const IMDRF = 'IMDRF N60 (2020) Table 1';
const SEEN_KO = 'IMDRF N60 Table 1; also seen in the MFDS-format Korean checklist (wiki.girjae.com, "KFDA CS:2022")';
const IMDRF_ONLY = 'IMDRF N60 Table 1; the MFDS Korean row was not seen (the 15-item count matches, m.ajunews.com)';

/** The Generation B profile. */
export const MFDS_2022: RequirementProfile = {
  id: 'mfds-2022',
  title: 'MFDS cybersecurity requirements checklist (2021 amendment, "KFDA CS:2022"; IMDRF N60 Table 1)',
  note: 'The 15 IMDRF N60 Table 1 design principles, wording condensed from IMDRF; B1-B5 were also seen in the MFDS Korean form, B6-B15 follow IMDRF one for one (strongly supported, not seen in Korean).',
  items: [
    {
      id: 'B1',
      group: 'Secure communications',
      text: 'Consider how the device interfaces with other devices and networks (Wi-Fi, Ethernet, Bluetooth, USB …).',
      provenance: 'verbatim-ko',
      basis: SEEN_KO,
      standards: [IMDRF, 'IEC 62443-4-2 CR 7.7'],
      controls: ['CTL-17', 'CTL-06'],
    },
    {
      id: 'B2',
      group: 'Secure communications',
      text: 'Validate all inputs, internal as well as external; account for peers and environments that support only less secure communication (home networks, legacy devices).',
      provenance: 'verbatim-ko',
      basis: SEEN_KO,
      standards: [IMDRF, 'IEC 62443-4-2 CR 3.5'],
      controls: ['CTL-09'],
    },
    {
      id: 'B3',
      group: 'Secure communications',
      text: 'Secure data transfer against unauthorised access, modification or replay: mutual authentication, encryption where needed, replay prevention, and ending communication sessions after a predefined time.',
      provenance: 'verbatim-ko',
      basis: SEEN_KO,
      standards: [IMDRF, 'IEC 62443-4-2 CR 3.1', 'IEC 62443-4-2 CR 3.8'],
      controls: ['CTL-05', 'CTL-06', 'CTL-08', 'CTL-04'],
    },
    {
      id: 'B4',
      group: 'Data protection',
      text: 'Protect safety-related data at rest and in transit (e.g. encryption); store passwords as cryptographically secure hashes.',
      provenance: 'verbatim-ko',
      basis: SEEN_KO,
      standards: [IMDRF, 'IEC 62443-4-2 CR 4.1', 'NIST SP 800-63B'],
      controls: ['CTL-02', 'CTL-07', 'CTL-10'],
    },
    {
      id: 'B5',
      group: 'Data protection',
      text: 'Where confidentiality controls are needed, protect message control and sequencing fields and prevent compromise of keying material.',
      provenance: 'verbatim-ko',
      basis: `${SEEN_KO}, in part`,
      standards: [IMDRF, 'IEC 62443-4-2 CR 4.3'],
      controls: ['CTL-07', 'CTL-11'],
    },
    {
      id: 'B6',
      group: 'Device integrity',
      text: 'Architecture features that provide data non-repudiation, e.g. audit logging.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 62443-4-2 CR 2.8', 'IEC 62443-4-2 CR 2.12'],
      controls: ['CTL-14', 'CTL-15'],
    },
    {
      id: 'B7',
      group: 'Device integrity',
      text: 'Consider risks to device integrity such as unauthorised modification of the device software.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 62443-4-2 CR 3.4', 'IEC 62443-4-2 CR 3.14'],
      controls: ['CTL-12', 'CTL-13'],
    },
    {
      id: 'B8',
      group: 'Device integrity',
      text: 'Anti-malware controls against viruses, spyware, ransomware and other malicious code.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 62443-4-2 CR 3.2'],
      controls: ['CTL-24'],
    },
    {
      id: 'B9',
      group: 'User authentication',
      text: 'User access controls: who can use the device, role-based privileges, emergency access; credentials not shared across devices or customers; by passwords, hardware keys, biometrics, or a signal of intent no other device can produce.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 62443-4-2 CR 1.1', 'IEC 62443-4-2 CR 2.1'],
      controls: ['CTL-01', 'CTL-02', 'CTL-18', 'CTL-05'],
    },
    {
      id: 'B10',
      group: 'Software maintenance',
      text: 'Establish and communicate a process for regular updates.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 81001-5-1'],
      controls: ['CTL-20', 'CTL-12'],
    },
    {
      id: 'B11',
      group: 'Software maintenance',
      text: 'How the operating system, third-party and open-source software are updated or controlled, including outdated environments outside the manufacturer\'s control.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 81001-5-1', 'IEC 62304'],
      controls: ['CTL-20', 'CTL-12'],
    },
    {
      id: 'B12',
      group: 'Software maintenance',
      text: 'How the device is updated against new vulnerabilities, user- or device-initiated, and how it is validated that an update has no adverse effect on safety or performance.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 62443-4-2 CR 3.10'],
      controls: ['CTL-12'],
    },
    {
      id: 'B13',
      group: 'Software maintenance',
      text: 'The connections needed for updates, and the authenticity of the connection and of the update (code signing).',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 62443-4-2 CR 3.10', 'IEC 62443-4-2 CR 1.2'],
      controls: ['CTL-12', 'CTL-05'],
    },
    {
      id: 'B14',
      group: 'Physical access',
      text: 'Prevent unauthorised physical access: locks, restricted ports, no access by cable without authentication.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 62443-4-2 CR 2.13'],
      controls: ['CTL-19'],
    },
    {
      id: 'B15',
      group: 'Reliability and availability',
      text: 'Design features to detect, resist, respond to and recover from attacks so as to maintain essential performance.',
      provenance: 'verbatim',
      basis: IMDRF_ONLY,
      standards: [IMDRF, 'IEC 62443-4-2 CR 7.1', 'IEC 62443-4-2 CR 7.4'],
      controls: ['CTL-16', 'CTL-21', 'CTL-22', 'CTL-23'],
    },
  ],
};
