// Appends session events to the JSON Lines file as they happen. Lines made in one turn of the event loop
// go out in one write(2) at the end of that turn (under load that saves a syscall per line); a write(2)
// of whole lines means a `kill -9` of guardrun leaves every line already written whole.
import { closeSync, fsyncSync, mkdirSync, openSync, writeFileSync, writeSync, existsSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { GuardrunError } from '../errors.js';
import type { SessionEvent } from './format.js';
import { GENESIS_HASH, sealLine } from './hash-chain.js';
import { createPartsIndex, type PartsIndex } from './parts-index.js';
import { stringifyWithRaw } from './raw-json.js';

export interface Recorder {
  readonly path: string;
  /** What this file already holds of request bodies recorded in parts (format 2); absent: bodies are recorded whole. */
  readonly parts?: PartsIndex;
  write(event: SessionEvent): void;
  /** Writes the lines made so far now (the recorder otherwise writes them at the end of the event-loop turn). */
  flush(): void;
  /**
   * Resolves once the lines made so far are written: with the other lines of this turn of the event loop, in one
   * write(2) (requests checked in the same turn share it). Check `failure` after it. Never rejects.
   */
  written(): Promise<void>;
  /** Writes what is pending, then nothing more; fsyncs and closes. Safe to call twice. */
  close(): void;
  /** Hash of the last line written (the closing line holds the final hash). */
  readonly lastHash: string;
  /**
   * Set once a write failed (ENOSPC, EIO, EFBIG…): nothing more is written, and whatever guards traffic must
   * stop forwarding, since it could not be recorded. Lines written before stay whole; the one that failed may
   * be cut off, which a reader reports as the point where the record ends.
   */
  readonly failure: NodeJS.ErrnoException | undefined;
}

/** Creates the session file (0600, directory 0700) and returns a recorder for it. */
export function createRecorder(path: string): Recorder {
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(path, 'wx', 0o600);
    chmodSync(path, 0o600); // openSync's mode is filtered by the umask
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new GuardrunError('E_SESSION_FILE', `the session file ${path} already exists (guardrun never overwrites a record)`, 'give a new path with --session-file, or move the old file away', { cause: error });
    }
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOTDIR' ? 'a parent is not a directory' : (error as Error).message;
    throw new GuardrunError('E_SESSION_FILE', `cannot create the session file ${path}: ${why}`, 'give a writable path with --session-file', { cause: error });
  }
  const nonce = randomBytes(6).toString('hex');
  let seq = 0;
  let lastHash = GENESIS_HASH;
  let closed = false;
  let pending: string[] = [];
  let scheduled = false;
  let failure: NodeJS.ErrnoException | undefined;
  let waiters: Array<() => void> = [];
  const flush = (): void => {
    scheduled = false;
    const wake = waiters;
    if (wake.length > 0) waiters = [];
    try {
      write();
    } finally {
      for (const w of wake) w();
    }
  };
  const write = (): void => {
    if (pending.length === 0 || failure) return;
    const bytes = Buffer.from(pending.length === 1 ? pending[0] : pending.join(''), 'utf8');
    pending = [];
    try {
      // A full disk can take part of a write before it fails: write the rest until done or an error.
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    } catch (error) {
      failure = error as NodeJS.ErrnoException;
    }
  };

  const parts = createPartsIndex();
  return {
    path,
    parts,
    get lastHash() {
      return lastHash;
    },
    get failure() {
      return failure;
    },
    write(event) {
      if (closed || failure) return;
      const sealed = lineFor(event, ++seq, nonce, lastHash);
      lastHash = sealed.hash;
      pending.push(sealed.line + '\n');
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    written() {
      if (pending.length === 0 || failure || closed) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        flush();
        if (!failure) fsyncSync(fd);
      } catch (error) {
        failure ??= error as NodeJS.ErrnoException;
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** One event as a sealed line (without its newline): `seq` first, then the event, then the chained hash. */
function lineFor(event: SessionEvent, seq: number, nonce: string, previousHash: string): { line: string; hash: string } {
  const body = stringifyWithRaw(event as unknown as Record<string, unknown>, nonce);
  return sealLine(previousHash, `{"seq":${seq},${body.slice(1)}`);
}

/**
 * A recorder that makes every line as the session file's recorder does (serialised, hash-chained) and keeps none
 * of them: for the warm-up rehearsal (session/warm-up.ts), which must leave nothing behind. `path` is empty.
 */
export function createDiscardingRecorder(): Recorder {
  const nonce = randomBytes(6).toString('hex');
  let seq = 0;
  let lastHash = GENESIS_HASH;
  return {
    path: '',
    parts: createPartsIndex(),
    get lastHash() {
      return lastHash;
    },
    failure: undefined,
    write(event) {
      lastHash = lineFor(event, ++seq, nonce, lastHash).hash;
    },
    flush() {},
    written: () => Promise.resolve(),
    close() {},
  };
}

/** Makes `.guardrun/` with a `.gitignore` of `*`, so session files are never committed by accident. */
export function ensureGuardrunDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ignore = `${dir}/.gitignore`;
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n', { mode: 0o600 });
}
