/**
 * Atomic file writes: write a temp file beside the target, fsync it, then rename it over the target.
 *
 * POSIX rename(2) within one filesystem is atomic, so a reader sees either the whole old file or the
 * whole new one, never a half-written file, even if the process is killed or the machine loses power
 * mid-write. The temp file must sit in the target's own folder: a rename across filesystems (e.g. from
 * os.tmpdir()) is a copy, which is not atomic.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Counts writes in this process; with the pid it makes every temp name unique without randomness. */
let writeCount = 0;

/**
 * Writes bytes or text atomically: a temp file beside the target, fsync, then rename over it. Creates parent folders.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  // A leading dot hides the temp file from casual listings; pid + counter keeps concurrent writers
  // (in this process or another) from ever sharing a temp file.
  const temp = join(folder, `.${basename(path)}.${process.pid}.${writeCount++}.tmp`);
  try {
    const file = await open(temp, 'w');
    try {
      await file.writeFile(data);
      // Flush to disk before the rename; otherwise a crash could leave the new name on empty data.
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    // Never leave a stray temp file behind; `force` ignores the case where it was never created.
    await rm(temp, { force: true });
    throw err;
  }
  await syncFolder(folder);
}

/** JSON.stringify(value, null, 2) + '\n', written atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  // JSON.stringify returns undefined (not a string) for undefined, functions and symbols.
  if (text === undefined) {
    throw new Error(`cannot write ${path} as JSON: the value is ${typeof value}, which JSON cannot represent`);
  }
  await writeFileAtomic(path, text + '\n');
}

/**
 * Fsyncs a folder so the rename itself survives a crash. Best effort: some platforms (Windows) cannot
 * open a folder for syncing, and the file's contents are already safe on disk by then.
 */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here; the write itself succeeded.
  }
}
