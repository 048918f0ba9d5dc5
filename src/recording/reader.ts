// Reads a session file back: every complete line that parses, the problems of those that do not (with
// line numbers), older versions through the converters, a newer version refused.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GuardrunError } from '../errors.js';
import { FORMAT, type SessionLine, type SessionStart } from './format.js';
import { migrateEvents, type MigrateOptions, type RawEvent } from './migrations.js';
import { createPartsResolver } from './resolve-parts.js';

export interface RawLine {
  /** 1-based line number in the file. */
  line: number;
  /** The line as written, without its newline. */
  text: string;
}

export type LineProblemKind = 'truncated' | 'corrupt' | 'invalid' | 'unknown-type';

export interface LineProblem {
  line: number;
  kind: LineProblemKind;
  message: string;
}

export interface ReadEvent {
  line: number;
  event: SessionLine;
}

export interface RecordedSession {
  /** Absolute path of the file read (or the name given to parseSession). */
  file: string;
  header: SessionStart & { seq: number; hash: string };
  /**
   * Events in file order, converted to the current format, each with the line it came from. Request bodies
   * recorded in parts are whole again; the `blob` lines that held their parts are not events.
   */
  events: ReadEvent[];
  /** Every newline-terminated line, as written: what the hash chain is checked on. */
  lines: RawLine[];
  problems: LineProblem[];
  /** The last line was cut off mid-way (guardrun stopped while writing it). */
  truncated: boolean;
  /** The file ends with its closing `session.end` line (followed by nothing, or by its `session.seal`). */
  complete: boolean;
  /** The format version the file was written in (before conversion). */
  sourceVersion: number;
}

const EVENT_FIELDS: Record<string, Array<[string, 'string' | 'number' | 'boolean' | 'object']>> = {
  'session.start': [['session', 'string'], ['time', 'string']],
  blob: [['id', 'string']],
  request: [['id', 'number'], ['time', 'string'], ['method', 'string'], ['path', 'string'], ['provider', 'string']],
  decision: [['id', 'number'], ['phase', 'string'], ['verdict', 'string']],
  response: [['id', 'number'], ['status', 'number']],
  'ws.upgrade': [['connection', 'number'], ['time', 'string'], ['path', 'string'], ['status', 'number']],
  'ws.message': [['connection', 'number'], ['time', 'string'], ['direction', 'string']],
  'ws.close': [['connection', 'number'], ['time', 'string'], ['code', 'number']],
  egress: [['id', 'number'], ['time', 'string'], ['host', 'string'], ['port', 'number'], ['verdict', 'string']],
  bypass: [['time', 'string'], ['host', 'string'], ['port', 'number']],
  'child.exit': [['time', 'string']],
  'session.end': [['time', 'string']],
  'session.seal': [['keyId', 'string'], ['sealed', 'string'], ['mac', 'string']],
};

export async function readSession(file: string, options: MigrateOptions = {}): Promise<RecordedSession> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new GuardrunError('E_SESSION_FILE', `cannot read the session file ${file}: ${why}`, 'give the path of a .jsonl file written by guardrun (by default under .guardrun/sessions/)', { cause: error });
  }
  return parseSession(text, path, options);
}

/** Parses a session file's text. `file` names it in messages. */
export function parseSession(text: string, file: string, options: MigrateOptions = {}): RecordedSession {
  const parts = text.split('\n');
  const tail = parts.pop() ?? ''; // '' when the file ends with a newline
  const problems: LineProblem[] = [];
  const lines: RawLine[] = parts.map((t, i) => ({ line: i + 1, text: t }));
  const parsed: Array<{ line: number; raw: RawEvent }> = [];
  let truncated = false;

  for (const l of lines) {
    const raw = parseLine(l, problems);
    if (raw) parsed.push({ line: l.line, raw });
  }
  if (tail !== '') {
    // One write(2) a line: an unterminated last line is where the run was cut off.
    const l = { line: lines.length + 1, text: tail };
    let raw: RawEvent | undefined;
    try {
      const value: unknown = JSON.parse(tail);
      raw = isObject(value) ? value : undefined;
    } catch {
      raw = undefined;
    }
    if (raw && typeof raw.hash === 'string') {
      lines.push(l); // whole, only its newline is missing
      parsed.push({ line: l.line, raw });
    } else {
      truncated = true;
      problems.push({ line: l.line, kind: 'truncated', message: `cut off after ${tail.length} characters (guardrun stopped while writing it); ignored` });
    }
  }

  const first = parsed[0];
  if (!first || first.line !== 1 || first.raw.type !== 'session.start' || first.raw.format !== FORMAT) {
    const why = parsed.length === 0 && lines.length === 0 && !truncated ? 'it is empty' : 'its first line is not a guardrun session.start event';
    throw new GuardrunError('E_SESSION_FORMAT', `${file} is not a guardrun session file: ${why}`, 'give the path of a .jsonl file written by guardrun (by default under .guardrun/sessions/)');
  }
  const sourceVersion = first.raw.version as number;
  const migrated = migrateEvents(parsed.map((p) => p.raw), sourceVersion, options);
  if (migrated.events.length !== parsed.length) {
    throw new GuardrunError('E_INTERNAL', 'a session format converter changed the number of events', 'this is a bug in guardrun; please report it');
  }

  const events: ReadEvent[] = [];
  const resolver = createPartsResolver();
  migrated.events.forEach((raw, i) => {
    const line = parsed[i].line;
    const problem = shapeProblem(raw);
    if (problem) {
      problems.push({ line, ...problem });
      return;
    }
    const unresolved = resolver.add(raw);
    if (unresolved) problems.push({ line, kind: 'invalid', message: unresolved });
    if (raw.type !== 'blob') events.push({ line, event: raw as unknown as SessionLine });
  });
  problems.sort((a, b) => a.line - b.line);
  // A seal may follow the closing line (guardrun --sign).
  const closing = events.at(-1)?.event.type === 'session.seal' ? events.at(-2)?.event : events.at(-1)?.event;
  return {
    file,
    header: events[0].event as SessionStart & { seq: number; hash: string },
    events,
    lines,
    problems,
    truncated,
    complete: closing?.type === 'session.end',
    sourceVersion,
  };
}

function parseLine(l: RawLine, problems: LineProblem[]): RawEvent | undefined {
  if (l.text.trim() === '') {
    problems.push({ line: l.line, kind: 'corrupt', message: 'empty line; skipped' });
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(l.text);
    if (isObject(value)) return value;
    problems.push({ line: l.line, kind: 'corrupt', message: 'JSON but not an object; skipped' });
  } catch (error) {
    problems.push({ line: l.line, kind: 'corrupt', message: `not valid JSON (${(error as Error).message}); skipped` });
  }
  return undefined;
}

function shapeProblem(raw: RawEvent): { kind: LineProblemKind; message: string } | undefined {
  const type = raw.type;
  const fields = typeof type === 'string' ? EVENT_FIELDS[type] : undefined;
  if (!fields) {
    return { kind: 'unknown-type', message: `event type ${JSON.stringify(type)} is not one this guardrun knows; skipped` };
  }
  for (const [name, kind] of fields) {
    if (typeof raw[name] !== kind) {
      return { kind: 'invalid', message: `${type} event without a valid "${name}" (${kind}); skipped` };
    }
  }
  return undefined;
}

function isObject(value: unknown): value is RawEvent {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
