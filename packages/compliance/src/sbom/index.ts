/**
 * The SBOM: CycloneDX 1.6 from cyclonedx-npm (offline, validated, reproducible), component hashes
 * from the lock file, and the figures the report shows.
 */
export * from './cyclonedx.js';
export * from './generate-sbom.js';
export * from './lockfile-hashes.js';
export * from './summarize-sbom.js';
