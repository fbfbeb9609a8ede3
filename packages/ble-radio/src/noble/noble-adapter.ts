// The deep-import shim is an ambient declaration (a script, which no import can name); this
// reference makes every program that type-checks these sources (other packages use the
// @medsim/source condition) see it, not only this package's tsconfig.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./noble-deep-import.d.ts" />
/**
 * THE one module that reaches into noble: `createNoble(radio)` builds a real `Noble` (from
 * @stoprocent/noble 2.8.0's lib/noble.js) over the virtual radio's bindings, so the gateway's BLE code
 * is ordinary noble code that would run on an HCI adapter with other bindings.
 *
 * Never import noble's main entry: on Linux it builds HCI bindings at import time
 * (reference/stack.md §1.2); elsewhere only `import type` from '@stoprocent/noble'. If an upgrade
 * moves lib/noble.js, this import fails at load and test/noble/noble-contract.test.ts fails loudly.
 */
import type { Noble } from '@stoprocent/noble';
import NobleConstructor from '@stoprocent/noble/lib/noble.js';
import type { VirtualRadio } from '../radio/virtual-radio.js';
import { VirtualNobleBindings, type VirtualNobleBindingsOptions } from './noble-bindings.js';

/** Options of `createNoble`. */
export type CreateNobleOptions = VirtualNobleBindingsOptions;

/** The @stoprocent/noble version the bindings were written and contract-tested against. */
export const NOBLE_VERSION = '2.8.0';

/**
 * A noble instance that is one central on `radio`. Several instances make several centrals.
 * noble's `warning` events are kept as events: noble's own listener writes them to the console,
 * which packages never do (CONVENTIONS).
 */
export function createNoble(radio: VirtualRadio, options: CreateNobleOptions = {}): Noble {
  const noble = new NobleConstructor(new VirtualNobleBindings(radio, options));
  noble.removeAllListeners('warning');
  return noble;
}
