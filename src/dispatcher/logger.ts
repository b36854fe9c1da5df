/**
 * The structured-event sink of the dispatcher: worker up/down, retry, hold. A pino
 * Logger fits it as is; tests pass a recorder. `debug` is for per-event chatter (a health
 * probe, a chunk sent; optional, so a sink may leave it out); state changes go out at info
 * or warn, once each.
 */
export interface EventLogger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const NOOP_LOGGER: EventLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
