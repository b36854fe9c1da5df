/**
 * A configuration mistake found at start. The message is one line naming the field, the
 * value and what is allowed, so main.ts can print it as-is and exit 2 (the usual exit
 * status for usage errors).
 */
export class ConfigError extends Error {
  readonly code = 'ERR_DHTTP_CONFIG';

  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
