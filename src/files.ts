// Small questions about paths that several features ask (policy discovery, session discovery, replay).
import { stat } from 'node:fs/promises';

/** True when something exists at `path` (file, directory or other); false on any error. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `path` is a directory (following symlinks); false when it is not, or cannot be read. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
