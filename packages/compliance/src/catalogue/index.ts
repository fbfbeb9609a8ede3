/**
 * The requirement catalogue of @medsim/compliance (issue 6): the controls CTL-01 … CTL-24 with the
 * code that implements each, and the requirement profiles that map onto them (MFDS 2019, 2022,
 * 2024 and the FDA premarket categories), each item with its provenance.
 */
export { CONTROLS } from './controls.js';
export { PROFILES, PROFILE_IDS, assertValidProfile, controlsOf, profile, type ProfileId } from './catalogue.js';
