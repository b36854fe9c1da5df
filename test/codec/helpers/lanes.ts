/** Runs async checks a few at a time and reports every failure, not only the first. */
import assert from 'node:assert/strict';

export async function inLanes(jobs: ReadonlyArray<() => Promise<void>>, lanes = 8): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      try {
        await jobs[next++]();
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  assert.equal(failures.length, 0, `${failures.length} of ${jobs.length} failed:\n${failures.slice(0, 20).join('\n\n')}`);
}
