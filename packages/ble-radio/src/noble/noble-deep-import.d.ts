/**
 * Types for the one deep import of @stoprocent/noble (reference/stack.md §1.2): the package declares
 * only '@stoprocent/noble', whose main entry builds HCI bindings on import. lib/noble.js is the
 * `Noble` class alone (CommonJS `module.exports = Noble`), with no native dependency.
 */
declare module '@stoprocent/noble/lib/noble.js' {
  import type { Noble } from '@stoprocent/noble';
  import type { EventEmitter } from 'node:events';

  const NobleConstructor: new (bindings: EventEmitter) => Noble;
  export default NobleConstructor;
}
