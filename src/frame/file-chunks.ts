import { open } from 'node:fs/promises';

/** Bytes per read: a few megabytes make the reads' round trips to the thread pool rare. */
export const FILE_CHUNK_BYTES = 4 << 20;

/**
 * A file's bytes in order, for one pass over them: each chunk is a view of one of two buffers
 * that are used in turn, the next read already in flight while the caller looks at a chunk. A
 * stream allocates each chunk afresh: memory the system maps and faults in page by page, a cost
 * that a pass over hundreds of megabytes pays on every chunk. A chunk is valid until the next one
 * is asked for (copy what must outlive it).
 */
export async function* fileChunks(path: string, chunkBytes = FILE_CHUNK_BYTES): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)];
  let turn = 0;
  let reading = handle.read(buffers[turn], 0, chunkBytes, 0);
  try {
    for (let pos = 0; ; ) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) return;
      const chunk = buffers[turn].subarray(0, bytesRead);
      pos += bytesRead;
      turn ^= 1;
      reading = handle.read(buffers[turn], 0, chunkBytes, pos);
      yield chunk;
    }
  } finally {
    // the read in flight when the caller stops early: settled before the file is closed
    await reading.catch(() => undefined);
    await handle.close();
  }
}
