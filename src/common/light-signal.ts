/**
 * The part of AbortSignal that a request's hot path uses (aborted, reason, abort
 * listeners), without an EventTarget per request: a profile of the dispatcher showed
 * AbortController creation and listener bookkeeping at ~5 % of its CPU. An AbortSignal
 * satisfies the same interface, so consumers accept either. A listener may be a function
 * or an object with `handleEvent` (as for EventTarget): an object that already exists per
 * request then costs no closure.
 */
export type AbortListener = (() => void) | { handleEvent(): void };

export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: AbortListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: AbortListener): void;
}

export class LightSignal implements AbortLike {
  aborted = false;
  reason: unknown = undefined;
  /** Usually zero or one listener (the upstream exchange in flight). */
  #listeners: AbortListener[] | undefined;

  addEventListener(_type: 'abort', listener: AbortListener): void {
    // Listeners fire at most once: abort happens once, as with { once: true }.
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: AbortListener): void {
    const l = this.#listeners;
    if (l === undefined) return;
    const i = l.indexOf(listener);
    if (i !== -1) l.splice(i, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const l = this.#listeners;
    this.#listeners = undefined;
    if (l !== undefined) for (const fn of l) typeof fn === 'function' ? fn() : fn.handleEvent();
  }
}

/** An AbortSignal driven by a light one, for APIs that need the real thing (undici). */
export function toAbortSignal(light: AbortLike): AbortSignal {
  if (light instanceof AbortSignal) return light;
  const ac = new AbortController();
  if (light.aborted) ac.abort(light.reason);
  else light.addEventListener('abort', () => ac.abort(light.reason), { once: true });
  return ac.signal;
}
