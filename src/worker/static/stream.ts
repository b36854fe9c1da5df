/**
 * Streaming a file to a client with backpressure: a byte range as it is on disk, or the
 * whole file through a compressor. Neither holds more than a chunk or two in memory, and
 * both stop when the client goes away.
 */
import type fs from 'node:fs/promises';
import { Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HttpRequest, HttpResponse } from '../../server/types.js';

/** Bytes read from disk per write while streaming. */
export const STREAM_CHUNK = 64 * 1024;

/** Streams bytes start..end of an open file, waiting for drain, stopping if the client left. */
export async function streamRange(fh: fs.FileHandle, req: HttpRequest, res: HttpResponse, start: number, end: number): Promise<undefined> {
  let pos = start;
  const stop = end + 1;
  while (pos < stop) {
    if (req.signal.aborted || res.finished) return undefined;
    const want = Math.min(STREAM_CHUNK, stop - pos);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, pos);
    // Content-Length is already promised; a shrunken file can only end the connection.
    if (bytesRead === 0) throw new Error(`file shrank while being sent (at byte ${pos} of ${stop})`);
    pos += bytesRead;
    if (!res.write(bytesRead === want ? buf : buf.subarray(0, bytesRead))) await drainOrAbort(res, req.signal);
  }
  res.end();
  return undefined;
}

/**
 * Streams the first `size` bytes of an open file through `encoder` as a chunked body.
 * Backpressure runs end to end: the socket's drain holds the encoder, which holds the
 * file reads. The file may change meanwhile; no length was promised, so what is read is
 * what is sent.
 */
export async function streamEncoded(
  fh: fs.FileHandle,
  size: number,
  encoder: Transform,
  req: HttpRequest,
  res: HttpResponse,
): Promise<void> {
  const source = fh.createReadStream({ start: 0, end: size - 1, autoClose: false, highWaterMark: STREAM_CHUNK });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (res.write(chunk)) callback();
      else drainOrAbort(res, req.signal).then(() => callback(), callback);
    },
    final(callback) {
      res.end();
      callback();
    },
  });
  try {
    await pipeline(source, encoder, sink, { signal: req.signal });
  } catch (err) {
    // The client left: the pipeline is torn down and there is nobody to answer.
    if (req.signal.aborted) return;
    throw err;
  }
}

/** drain(), but never hangs past the client going away. */
export function drainOrAbort(res: HttpResponse, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    res.drain().then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
