/** Maps the CLI's engine settings (ms, bytes) onto the HTTP engine's option names. */
import type { EngineConfig } from '../config/types.js';
import { ENGINE_DEFAULTS, type EngineOptions } from './options.js';

export function engineOptionsOf(c: EngineConfig): EngineOptions {
  return {
    ...ENGINE_DEFAULTS,
    maxUriBytes: c.maxUri,
    maxHeaderBytes: c.maxHeaderBytes,
    maxHeaders: c.maxHeaders,
    maxBodyBytes: c.maxBody,
    headerTimeoutMs: c.headerTimeout,
    bodyTimeoutMs: c.bodyTimeout,
    keepAliveTimeoutMs: c.keepAliveTimeout,
    maxRequestsPerConnection: c.maxRequestsPerConnection,
    maxConnections: c.maxConnections,
    shutdownTimeoutMs: c.shutdownTimeout,
    sendTimeoutMs: c.sendTimeout,
  };
}
