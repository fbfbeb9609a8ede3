/**
 * MFDS checklist, Generation C: the 2024-11-27 revision on IEC 62443-4-2 and IEC TR 60601-4-5,
 * "15 requirements subdivided into 35" in six categories (IA, UC, SI, DC, TRE, RA; FR5 Restricted
 * Data Flow is absent). reference/regulatory.md §1.5, §2.2, §3.7.
 *
 * What is known: the six categories and one anchor item each ([V-ko], ramedi.kr), and a handful of
 * requirements named by news and consultancy pages ([N]). The anchors fix positions in the
 * IEC 62443-4-2 component requirement (CR) order: IA-08 = CR 1.12, UC-07 = CR 2.12, SI-11 = CR 3.14,
 * DC-03 = CR 4.3, TRE-01 = CR 6.1, RA-05 = CR 7.7, so each category kept about 8, 7, 11, 3, 1-2
 * and 5 CRs. Which CRs MFDS kept is unknown. The candidates here are, per category, the CRs the
 * secondary sources name ('secondary') and medsim's choice of the rest up to that count, all
 * before their anchor ('reconstructed'); their ids are the CR numbers, never an MFDS number.
 */
import type { ControlId, RequirementItem, RequirementProfile } from '../../model.js';

const IA = 'IA Identification and Authentication';
const UC = 'UC Use Control';
const SI = 'SI System Integrity';
const DC = 'DC Data Confidentiality';
const TRE = 'TRE Timely Response to Events';
const RA = 'RA Resource Availability';

const RAMEDI = 'Category and anchor item seen in Korean (ramedi.kr notice on the 2024-11 revision)';
const AJUNEWS = 'm.ajunews.com (2024-11-27)';
const FREYR = 'freyrregintel.com (Guide-0995-05)';

/** One of the six confirmed anchor items, verbatim in Korean; `cr` is the IEC 62443-4-2 CR its position matches. */
function anchor(id: string, group: string, text: string, cr: string, controls: readonly ControlId[]): RequirementItem {
  return {
    id,
    group,
    text,
    provenance: 'verbatim-ko',
    basis: `${RAMEDI}; its position matches IEC 62443-4-2 CR ${cr}`,
    standards: [`IEC 62443-4-2 CR ${cr}`, 'IEC TR 60601-4-5'],
    controls,
  };
}

/**
 * A candidate: an IEC 62443-4-2 CR (titles verified in sbd-community/handbook) that MFDS may have
 * kept. `namedIn` gives the secondary source that names the requirement, when one does.
 */
function candidate(cr: string, group: string, text: string, controls: readonly ControlId[], namedIn?: string): RequirementItem {
  return {
    id: `CR ${cr}`,
    group,
    text,
    provenance: namedIn === undefined ? 'reconstructed' : 'secondary',
    basis:
      namedIn === undefined
        ? `IEC 62443-4-2 CR ${cr}, chosen by medsim as a candidate: not confirmed as an MFDS item`
        : `Named in ${namedIn}; medsim places it at IEC 62443-4-2 CR ${cr}`,
    standards: [`IEC 62443-4-2 CR ${cr}`, 'IEC TR 60601-4-5'],
    controls,
  };
}

/** The Generation C profile. */
export const MFDS_2024: RequirementProfile = {
  id: 'mfds-2024',
  title: 'MFDS cybersecurity requirements (2024 revision, IEC 62443-4-2 / IEC TR 60601-4-5)',
  note:
    'Only the six categories and the anchors IA-08, UC-07, SI-11, DC-03, TRE-01 and RA-05 are confirmed verbatim; which other IEC 62443-4-2 CRs MFDS kept is unknown. ' +
    'The other items are candidates, ids by CR number: named in secondary sources, or chosen by medsim to reach the count each anchor implies. ' +
    'Left out: CR 1.3, 1.6, 1.8, 1.9, 1.13, 1.14, 2.2-2.4, 2.9, 2.10, 2.13, 3.11-3.13, 7.5, 7.6, 7.8.',
  items: [
    candidate('1.1', IA, 'Human user identification and authentication: every person is identified and authenticated on every interface before use.', ['CTL-02'], AJUNEWS),
    candidate('1.2', IA, 'Software process and device identification and authentication: devices and services authenticate each other.', ['CTL-05']),
    candidate('1.4', IA, 'Identifier management: users and devices have unique, unambiguous identifiers.', ['CTL-02', 'CTL-05'], FREYR),
    candidate('1.5', IA, 'Authenticator management: credentials and keys are created, stored, changed and revoked securely, with no default or shared ones.', ['CTL-02', 'CTL-11'], AJUNEWS),
    candidate('1.7', IA, 'Strength of password-based authentication: password length and composition rules.', ['CTL-02'], FREYR),
    candidate('1.10', IA, 'Authenticator feedback: authentication answers reveal nothing that helps an attacker.', ['CTL-02'], FREYR),
    candidate('1.11', IA, 'Unsuccessful login attempts: repeated failures lock the account or slow the attempts.', ['CTL-02']),
    anchor('IA-08', IA, 'System use notification message.', '1.12', ['CTL-02']),
    candidate('2.1', UC, 'Authorization enforcement: every action is allowed by the role and scope of the authenticated user, and refused otherwise.', ['CTL-01', 'CTL-18']),
    candidate('2.5', UC, 'Session lock: an idle session is locked or ended after a set time.', ['CTL-04']),
    candidate('2.6', UC, 'Remote session termination: remote sessions end after a set time or on request.', ['CTL-04']),
    candidate('2.7', UC, 'Concurrent session control: the number of concurrent sessions per user is limited.', ['CTL-03']),
    candidate('2.8', UC, 'Auditable events: security-relevant events generate audit records.', ['CTL-14'], AJUNEWS),
    candidate('2.11', UC, 'Timestamps: audit records carry reliable time stamps.', ['CTL-14']),
    anchor('UC-07', UC, 'Non-repudiation.', '2.12', ['CTL-15']),
    candidate('3.1', SI, 'Communication integrity: data in transit is protected against modification.', ['CTL-06', 'CTL-07', 'CTL-08']),
    candidate('3.2', SI, 'Protection from malicious code.', ['CTL-24']),
    candidate('3.3', SI, 'Security functionality verification: the intended operation of security functions can be verified.', ['CTL-13', 'CTL-14']),
    candidate('3.4', SI, 'Software and information integrity: unauthorised changes to software and data are detected.', ['CTL-12', 'CTL-13'], FREYR),
    candidate('3.5', SI, 'Input validation: all inputs are checked for syntax, length and range.', ['CTL-09'], AJUNEWS),
    candidate('3.6', SI, 'Deterministic output: outputs go to a predetermined state when normal operation cannot be kept.', ['CTL-09', 'CTL-23']),
    candidate('3.7', SI, 'Error handling: errors are handled without revealing information an attacker could use.', ['CTL-23']),
    candidate('3.8', SI, 'Session integrity: sessions are protected against hijacking and replay.', ['CTL-04', 'CTL-08']),
    candidate('3.9', SI, 'Protection of audit information: audit records are protected against unauthorised change and deletion.', ['CTL-14']),
    candidate('3.10', SI, 'Support for updates: software can be updated securely.', ['CTL-12'], AJUNEWS),
    anchor('SI-11', SI, 'Boot process integrity verification.', '3.14', ['CTL-13']),
    candidate('4.1', DC, 'Information confidentiality: sensitive data is protected at rest and in transit.', ['CTL-07', 'CTL-10'], AJUNEWS),
    candidate('4.2', DC, 'Information persistence: sensitive data and keys can be erased when a component is decommissioned.', ['CTL-10']),
    anchor('DC-03', DC, 'Use of secure cryptography.', '4.3', ['CTL-06', 'CTL-07', 'CTL-11']),
    anchor('TRE-01', TRE, 'Restrict unauthorised access to audit logs.', '6.1', ['CTL-14']),
    candidate('6.2', TRE, 'Continuous monitoring: security events are detected and reported as they happen.', ['CTL-22']),
    candidate('7.1', RA, 'Denial-of-service protection: essential functions continue under a denial-of-service attack.', ['CTL-16']),
    candidate('7.2', RA, 'Resource management: resource use by security functions and by clients is limited.', ['CTL-16']),
    candidate('7.3', RA, 'Backup: configuration and data can be backed up with their integrity protected.', ['CTL-21']),
    candidate('7.4', RA, 'Recovery and reconstitution: the device recovers to a known secure state after a failure.', ['CTL-21']),
    anchor('RA-05', RA, 'Disable unnecessary functions.', '7.7', ['CTL-17']),
  ],
};
