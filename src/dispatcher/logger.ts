/**
 * The structured-event sink of the dispatcher: worker up/down, retry, hold. A pino
 * Logger fits it as is; tests pass a recorder.
 */
export interface EventLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const NOOP_LOGGER: EventLogger = Object.freeze({
  info() {},
  warn() {},
  error() {},
});
