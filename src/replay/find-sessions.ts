// Session files of a project: the newest (`guardrun replay` with no file, `--last`) and a listing of a
// directory (`guardrun replay DIR`). A listing reads only each file's first and last line.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { exists, isDirectory } from '../files.js';
import { GuardrunError } from '../errors.js';

export interface SessionSummary {
  file: string;
  /** From the first line (session.start); undefined when it cannot be read. */
  session?: string;
  time?: string;
  command?: string[];
  /** From the closing line; undefined for a session cut off or still running. */
  requests?: number;
  denied?: number;
  costUsd?: number;
  exitCode?: number;
  /** The closing line is there. */
  complete: boolean;
}

/**
 * `.guardrun/sessions` in `cwd` or the nearest parent up to the repository root (the first holding `.git`);
 * outside a repository, only `cwd`'s (as the policy search does).
 */
export async function projectSessionDir(cwd: string): Promise<string | undefined> {
  const dirs: string[] = [];
  let inRepository = false;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (await exists(join(dir, '.git'))) {
      inRepository = true;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  for (const dir of inRepository ? dirs : dirs.slice(0, 1)) {
    const candidate = join(dir, '.guardrun', 'sessions');
    if (await isDirectory(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The `.jsonl` files of a directory, newest first: by the start time in the name (to the second), then, for
 * sessions started in the same second, by the millisecond start time on their first line, then by mtime.
 */
export async function sessionFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
  const files = await Promise.all(names.map(async (n) => ({ file: join(dir, n), second: n.split('Z', 1)[0], mtime: (await stat(join(dir, n))).mtimeMs, startMs: 0 })));
  const seconds = new Map<string, number>();
  for (const f of files) seconds.set(f.second, (seconds.get(f.second) ?? 0) + 1);
  for (const f of files) if (seconds.get(f.second)! > 1) f.startMs = startedMs(f.file);
  return files.sort((a, b) => b.second.localeCompare(a.second) || b.startMs - a.startMs || b.mtime - a.mtime || b.file.localeCompare(a.file)).map((f) => f.file);
}

/** The session.start line's `time` in ms since the epoch, or 0 when the first line cannot be read. */
function startedMs(file: string): number {
  try {
    const time = parse(firstAndLastLine(file).first)?.time;
    const ms = typeof time === 'string' ? Date.parse(time) : NaN;
    return Number.isNaN(ms) ? 0 : ms;
  } catch {
    return 0;
  }
}

/** The newest session file of the project at `cwd`; E_SESSION_FILE (with the fix) when there is none. */
export async function newestSession(cwd: string): Promise<string> {
  const dir = await projectSessionDir(cwd);
  const files = dir ? await sessionFiles(dir) : [];
  if (files.length === 0) {
    throw new GuardrunError('E_SESSION_FILE', `no session files found${dir ? ` in ${dir}` : ' (no .guardrun/sessions here or up to the repository root)'}`, 'give a session file or a directory of them: guardrun replay FILE, or run an agent first: guardrun -- <command>');
  }
  return files[0];
}

/** One summary per session file of `dir`, newest first. */
export async function listSessions(dir: string): Promise<SessionSummary[]> {
  return (await sessionFiles(dir)).map(summarize);
}

function summarize(file: string): SessionSummary {
  const { first, last } = firstAndLastLine(file);
  const start = parse(first);
  const end = parse(last);
  const closed = end?.type === 'session.end';
  return {
    file,
    session: typeof start?.session === 'string' ? start.session : undefined,
    time: typeof start?.time === 'string' ? start.time : undefined,
    command: Array.isArray(start?.command) ? start.command.map(String) : undefined,
    requests: closed ? Number(end.requests) : undefined,
    denied: closed ? Number(end.denied) : undefined,
    costUsd: closed ? Number(end.costUsd) : undefined,
    exitCode: closed ? Number(end.exitCode) : undefined,
    complete: closed,
  };
}

/** The first and the last complete line, reading at most 64 KiB from each end. */
function firstAndLastLine(file: string): { first: string; last: string } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = Math.min(size, 65_536);
    const head = Buffer.alloc(chunk);
    readSync(fd, head, 0, chunk, 0);
    const tail = Buffer.alloc(chunk);
    readSync(fd, tail, 0, chunk, size - chunk);
    const headText = head.toString('utf8');
    const tailLines = tail.toString('utf8').split('\n').filter(Boolean);
    return { first: headText.slice(0, headText.indexOf('\n') === -1 ? undefined : headText.indexOf('\n')), last: tailLines.at(-1) ?? '' };
  } finally {
    closeSync(fd);
  }
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
