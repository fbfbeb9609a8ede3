/**
 * MFDS checklist, Generation A: guideline 안내서-0995-01 (2019-11-28), the format of the seed
 * slides ("1. Identification and Security – 1.1 …, 1.2 …"). reference/regulatory.md §1.3, §2.2.
 *
 * Only the category 1 and items 1.1 and 1.2 are known verbatim (the seed). No public copy of the
 * full table was found, so every later item, its number and its group title are medsim's
 * reconstruction from the KISA IoT security test and certification criteria (AU, CR, DP, PL, PH)
 * and the guideline's CIA principles, and are marked 'reconstructed': never official MFDS text.
 * Controls follow §2.2, plus CTL-22 on 4.1 and 6.1 from the crosswalk (§3.7).
 */
import type { RequirementProfile } from '../../model.js';

const KISA = 'KISA IoT 보안시험·인증기준';

/** The Generation A profile. */
export const MFDS_2019: RequirementProfile = {
  id: 'mfds-2019',
  title: 'MFDS Checklist for Essential Principles of Cybersecurity of Medical Devices (2019, 안내서-0995-01)',
  note: 'Items 1.1 and 1.2 are the seed\'s verbatim text; no full copy of the 2019 table is public, so items 1.3 to 6.1, their numbers and the group titles after 1 are medsim\'s reconstruction (KISA IoT criteria, CIA principles), not official MFDS text.',
  items: [
    {
      id: '1.1',
      group: '1 Identification and Security',
      text: 'Access control and Certification: grant access authority by user role, based on identification and authentication, so that users reach only authorised data.',
      provenance: 'verbatim',
      basis: 'Seed document (MFDS slides), item 1.1',
      standards: [`${KISA} AU`, 'IEC 62443-4-2 CR 1.1', 'IEC 62443-4-2 CR 2.1'],
      controls: ['CTL-01', 'CTL-02'],
    },
    {
      id: '1.2',
      group: '1 Identification and Security',
      text: 'No multiple access: the same user shall not have multiple access (concurrent sessions).',
      provenance: 'verbatim',
      basis: 'Seed document (MFDS slides), item 1.2',
      standards: [`${KISA} DP`, 'IEC 62443-4-2 CR 2.7'],
      controls: ['CTL-03', 'CTL-04'],
    },
    {
      id: '1.3',
      group: '1 Identification and Security',
      text: 'Secure management of authentication information: password rules, no default or hard-coded credentials, hashed storage, lock-out.',
      provenance: 'reconstructed',
      basis: 'KISA AU "인증정보의 안전한 사용"; IMDRF N60 (passwords stored as cryptographically secure hashes); 2024 news "인증정보 관리"',
      standards: [`${KISA} AU`, 'IMDRF N60', 'IEC 62443-4-2 CR 1.5', 'IEC 62443-4-2 CR 1.7'],
      controls: ['CTL-02', 'CTL-11'],
    },
    {
      id: '1.4',
      group: '1 Identification and Security',
      text: 'Device (node) authentication between the device and the gateway or server.',
      provenance: 'reconstructed',
      basis: 'KISA AU "기기인증"; IMDRF N60 secure communications (mutual authentication)',
      standards: [`${KISA} AU`, 'IMDRF N60', 'IEC 62443-4-2 CR 1.2'],
      controls: ['CTL-05'],
    },
    {
      id: '1.5',
      group: '1 Identification and Security',
      text: 'Session management: sessions end automatically after a set time.',
      provenance: 'reconstructed',
      basis: 'KISA DP "안전한 세션관리"; IMDRF N60 (terminating communication sessions after a pre-defined time)',
      standards: [`${KISA} DP`, 'IMDRF N60', 'IEC 62443-4-2 CR 2.5', 'IEC 62443-4-2 CR 2.6'],
      controls: ['CTL-04'],
    },
    {
      id: '2.1',
      group: '2 Data protection',
      text: 'Encryption and protection of transmitted data, biometric data in particular.',
      provenance: 'reconstructed',
      basis: 'KISA DP "전송데이터보호"; the guideline\'s confidentiality principle',
      standards: [`${KISA} DP`, 'IEC 62443-4-2 CR 4.1', 'IEC 62443-4-2 CR 3.1'],
      controls: ['CTL-06', 'CTL-07'],
    },
    {
      id: '2.2',
      group: '2 Data protection',
      text: 'Protection of stored data.',
      provenance: 'reconstructed',
      basis: 'KISA DP "저장데이터보호"',
      standards: [`${KISA} DP`, 'IEC 62443-4-2 CR 4.1'],
      controls: ['CTL-10'],
    },
    {
      id: '2.3',
      group: '2 Data protection',
      text: 'Use of secure, standard cryptographic algorithms and key management.',
      provenance: 'reconstructed',
      basis: 'KISA CR (secure cryptographic algorithms)',
      standards: [`${KISA} CR`, 'IEC 62443-4-2 CR 4.3', 'FIPS 140-3'],
      controls: ['CTL-06', 'CTL-07', 'CTL-11'],
    },
    {
      id: '3.1',
      group: '3 Integrity',
      text: 'Verification of software and firmware integrity.',
      provenance: 'reconstructed',
      basis: 'KISA PL "소프트웨어 보안"; the guideline\'s integrity principle',
      standards: [`${KISA} PL`, 'IEC 62443-4-2 CR 3.4', 'IEC 62443-4-2 CR 3.14'],
      controls: ['CTL-13', 'CTL-24'],
    },
    {
      id: '3.2',
      group: '3 Integrity',
      text: 'Secure, authenticated software and firmware update.',
      provenance: 'reconstructed',
      basis: 'KISA PL "안전한 업데이트"',
      standards: [`${KISA} PL`, 'IEC 62443-4-2 CR 3.10', 'IEC 81001-5-1'],
      controls: ['CTL-12'],
    },
    {
      id: '3.3',
      group: '3 Integrity',
      text: 'Data integrity: validation of input and prevention of replay.',
      provenance: 'reconstructed',
      basis: 'The guideline\'s integrity principle; IMDRF N60 (validate all inputs; replay prevention)',
      standards: ['IMDRF N60', 'IEC 62443-4-2 CR 3.5', 'IEC 62443-4-2 CR 3.1'],
      controls: ['CTL-07', 'CTL-08', 'CTL-09'],
    },
    {
      id: '4.1',
      group: '4 Audit',
      text: 'Audit records of security events and of change history.',
      provenance: 'reconstructed',
      basis: 'KISA PL "감사기록"; the guideline\'s integrity principle ("로그 및 변경 이력")',
      standards: [`${KISA} PL`, 'IEC 62443-4-2 CR 2.8', 'IEC 62443-4-2 CR 2.12'],
      controls: ['CTL-14', 'CTL-15', 'CTL-22'],
    },
    {
      id: '5.1',
      group: '5 Security management',
      text: 'Security management: unnecessary services and ports disabled, secure defaults.',
      provenance: 'reconstructed',
      basis: 'KISA PL "보안관리"',
      standards: [`${KISA} PL`, 'IEC 62443-4-2 CR 7.7'],
      controls: ['CTL-17'],
    },
    {
      id: '5.2',
      group: '5 Security management',
      text: 'Protection of physical interfaces (debug and USB ports).',
      provenance: 'reconstructed',
      basis: 'KISA PH (physical interface protection)',
      standards: [`${KISA} PH`, 'IEC 62443-4-2 CR 2.13'],
      controls: ['CTL-19'],
    },
    {
      id: '6.1',
      group: '6 Availability',
      text: 'Availability: detect, resist, respond to and recover from attacks while keeping essential performance.',
      provenance: 'reconstructed',
      basis: 'The guideline\'s availability principle; IMDRF N60 reliability and availability',
      standards: ['IMDRF N60', 'IEC 62443-4-2 CR 7.1', 'IEC 62443-4-2 CR 7.4'],
      controls: ['CTL-16', 'CTL-21', 'CTL-22', 'CTL-23'],
    },
  ],
};
