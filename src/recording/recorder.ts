// Appends session events to the JSON Lines file as they happen. Each line is one write(2), so a
// `kill -9` of guardrun leaves every line already written whole (the kernel keeps it).
import { closeSync, fsyncSync, mkdirSync, openSync, writeFileSync, writeSync, existsSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { GuardrunError } from '../errors.js';
import type { SessionEvent } from './format.js';
import { GENESIS_HASH, sealLine } from './hash-chain.js';
import { stringifyWithRaw } from './raw-json.js';

export interface Recorder {
  readonly path: string;
  write(event: SessionEvent): void;
  /** Writes nothing more; fsyncs and closes. Safe to call twice. */
  close(): void;
  /** Hash of the last line written (the closing line holds the final hash). */
  readonly lastHash: string;
}

/** Creates the session file (0600, directory 0700) and returns a recorder for it. */
export function createRecorder(path: string): Recorder {
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(path, 'wx', 0o600);
    chmodSync(path, 0o600); // openSync's mode is filtered by the umask
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'it already exists' : (error as Error).message;
    throw new GuardrunError('E_SESSION_FILE', `cannot create the session file ${path}: ${reason}`, 'choose another path with --session-file, or check the directory permissions', { cause: error });
  }
  const nonce = randomBytes(6).toString('hex');
  let seq = 0;
  let lastHash = GENESIS_HASH;
  let closed = false;

  return {
    path,
    get lastHash() {
      return lastHash;
    },
    write(event) {
      if (closed) return;
      const body = stringifyWithRaw(event, nonce);
      const json = `{"seq":${++seq},${body.slice(1)}`;
      const sealed = sealLine(lastHash, json);
      lastHash = sealed.hash;
      writeSync(fd, sealed.line + '\n');
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Makes `.guardrun/` with a `.gitignore` of `*`, so session files are never committed by accident. */
export function ensureGuardrunDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ignore = `${dir}/.gitignore`;
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n', { mode: 0o600 });
}
