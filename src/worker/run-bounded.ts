/**
 * Runs `count` jobs with at most `limit` in flight, in index order. The first failure
 * aborts the shared signal (so running pool tasks stop), the rest are not started, and
 * that failure is thrown once everything in flight has settled.
 */
export async function runBounded(
  count: number,
  limit: number,
  job: (index: number, signal: AbortSignal) => Promise<void>,
  outer?: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && !stop.signal.aborted && next < count) {
      const i = next++;
      try {
        await job(i, stop.signal);
      } catch (err) {
        failure ??= { err };
        stop.abort(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, lane));
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure.err;
  outer?.throwIfAborted();
}
