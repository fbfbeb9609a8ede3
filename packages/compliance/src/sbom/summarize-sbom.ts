/**
 * The SBOM's figures for the report: how many components, how many carry a hash (and which do not),
 * and the licences declared. Nested components count like top-level ones: each is a package shipped.
 */
import { allComponents, componentName, type CycloneDxBom, type CycloneDxLicenseChoice } from './cyclonedx.js';

/** What the report says about an SBOM. */
export interface SbomSummary {
  readonly specVersion: string;
  /** Components, nested ones included. */
  readonly components: number;
  readonly withHashes: number;
  readonly withoutHashes: number;
  /** The components without a hash, "group/name@version", in document order (workspace packages, today). */
  readonly unhashed: readonly string[];
  /** Declared licences (SPDX id, name or expression) and how many components declare each, most used first. */
  readonly licenses: readonly { readonly license: string; readonly components: number }[];
  /** Components that declare no licence. */
  readonly withoutLicense: number;
}

function licenseLabel(choice: CycloneDxLicenseChoice): string {
  return choice.expression ?? choice.license?.id ?? choice.license?.name ?? '(unnamed)';
}

/** Summarises a BOM (see SbomSummary). */
export function summarizeSbom(bom: CycloneDxBom): SbomSummary {
  const components = [...allComponents(bom.components)];
  const unhashed = components.filter((c) => (c.hashes ?? []).length === 0).map(componentName);
  const licenses = new Map<string, number>();
  let withoutLicense = 0;
  for (const component of components) {
    const labels = new Set((component.licenses ?? []).map(licenseLabel));
    if (labels.size === 0) withoutLicense++;
    for (const label of labels) licenses.set(label, (licenses.get(label) ?? 0) + 1);
  }
  return {
    specVersion: bom.specVersion,
    components: components.length,
    withHashes: components.length - unhashed.length,
    withoutHashes: unhashed.length,
    unhashed,
    licenses: [...licenses]
      .map(([license, count]) => ({ license, components: count }))
      .sort((a, b) => b.components - a.components || (a.license < b.license ? -1 : a.license > b.license ? 1 : 0)),
    withoutLicense,
  };
}
