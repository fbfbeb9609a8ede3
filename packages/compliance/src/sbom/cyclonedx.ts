/**
 * The part of a CycloneDX 1.6 JSON BOM medsim reads and writes (cyclonedx.org/docs/1.6/json): the
 * document's format and version, and its components with their hashes, licences, properties and
 * nested components. Every other field is kept as the tool wrote it.
 */
import { InvalidSbomError } from '../errors.js';

/** A hash of a component (CycloneDX `hash`): algorithm name as the spec spells it, content in hex. */
export interface CycloneDxHash {
  readonly alg: string;
  readonly content: string;
}

/** A name/value property; cyclonedx-npm records the package's place in the tree as `cdx:npm:package:path`. */
export interface CycloneDxProperty {
  readonly name: string;
  readonly value: string;
}

/** A licence entry: an SPDX id or a free name, or an SPDX expression. */
export interface CycloneDxLicenseChoice {
  readonly license?: { readonly id?: string; readonly name?: string; readonly [field: string]: unknown };
  readonly expression?: string;
  readonly [field: string]: unknown;
}

/** One component (an npm package); nested components are packages installed below it. */
export interface CycloneDxComponent {
  readonly type: string;
  readonly name: string;
  readonly group?: string;
  readonly version?: string;
  readonly purl?: string;
  readonly hashes?: readonly CycloneDxHash[];
  readonly licenses?: readonly CycloneDxLicenseChoice[];
  readonly properties?: readonly CycloneDxProperty[];
  readonly components?: readonly CycloneDxComponent[];
  readonly [field: string]: unknown;
}

/** A CycloneDX JSON BOM. */
export interface CycloneDxBom {
  readonly bomFormat: 'CycloneDX';
  readonly specVersion: string;
  readonly components?: readonly CycloneDxComponent[];
  readonly [field: string]: unknown;
}

/** 64 levels of nested components: npm trees nest a few levels; deeper input is refused, not recursed into. */
const MAX_DEPTH = 64;

const HEX = /^[0-9a-f]+$/iu;

type Json = Record<string, unknown>;

const invalid = (path: string, expected: string): InvalidSbomError =>
  new InvalidSbomError(`Not a CycloneDX JSON BOM: ${path} must be ${expected}`, { details: { path, expected } });

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalArray(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(path, 'an array');
  return value;
}

function checkComponent(value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw invalid(path, `at most ${MAX_DEPTH} levels deep`);
  if (!isObject(value)) throw invalid(path, 'an object');
  if (typeof value.type !== 'string') throw invalid(`${path}.type`, 'a string');
  if (typeof value.name !== 'string') throw invalid(`${path}.name`, 'a string');
  optionalArray(value.hashes, `${path}.hashes`).forEach((hash, i) => {
    if (!isObject(hash) || typeof hash.alg !== 'string' || typeof hash.content !== 'string' || !HEX.test(hash.content)) {
      throw invalid(`${path}.hashes[${i}]`, 'an { alg, content } with hex content');
    }
  });
  optionalArray(value.properties, `${path}.properties`).forEach((property, i) => {
    if (!isObject(property) || typeof property.name !== 'string' || typeof property.value !== 'string') {
      throw invalid(`${path}.properties[${i}]`, 'a { name, value } of strings');
    }
  });
  optionalArray(value.licenses, `${path}.licenses`).forEach((license, i) => {
    if (!isObject(license)) throw invalid(`${path}.licenses[${i}]`, 'an object');
  });
  optionalArray(value.components, `${path}.components`).forEach((c, i) => checkComponent(c, `${path}.components[${i}]`, depth + 1));
}

/**
 * Checks that a parsed value is a CycloneDX JSON BOM with well-formed components, and types it.
 * @throws InvalidSbomError naming the first field that is not.
 */
export function parseBom(value: unknown): CycloneDxBom {
  if (!isObject(value)) throw invalid('bom', 'an object');
  if (value.bomFormat !== 'CycloneDX') throw invalid('bomFormat', '"CycloneDX"');
  if (typeof value.specVersion !== 'string') throw invalid('specVersion', 'a string');
  optionalArray(value.components, 'components').forEach((c, i) => checkComponent(c, `components[${i}]`, 1));
  return value as CycloneDxBom;
}

/** Every component of a BOM, nested ones included, depth first in document order. */
export function* allComponents(components: readonly CycloneDxComponent[] = []): Generator<CycloneDxComponent> {
  for (const component of components) {
    yield component;
    yield* allComponents(component.components);
  }
}

/** A property's value, or undefined. */
export function propertyValue(component: CycloneDxComponent, name: string): string | undefined {
  return component.properties?.find((p) => p.name === name)?.value;
}

/** "group/name@version", the way the documents name a component. */
export function componentName(component: CycloneDxComponent): string {
  const name = component.group === undefined || component.group === '' ? component.name : `${component.group}/${component.name}`;
  return component.version === undefined ? name : `${name}@${component.version}`;
}
