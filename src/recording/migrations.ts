// Versioned converters for session files: version N → N+1, applied in order until the current version.
// A reader of version V reads any older file through these; a newer file is refused ("upgrade guardrun").
// They run on parsed events, after the hash chain was checked on the bytes as written.
import { GuardrunError } from '../errors.js';
import { FORMAT_VERSION } from './format.js';

/** One parsed line of a session file, before it is trusted to have the current shape. */
export type RawEvent = Record<string, unknown>;

export interface Migration {
  /** Converts a file of version `from` into version `from + 1`. */
  from: number;
  /** What changed, for people reading the code and `--json` consumers. */
  describe: string;
  /** Gets the whole file's events (the header first) and returns the converted events. Must not mutate its input. */
  migrate(events: readonly RawEvent[]): RawEvent[];
}

/**
 * The registry: one converter per step. The golden version-1 files in fixtures/sessions/ are read through them
 * by the tests.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    from: 1,
    describe:
      'version 2 records large request bodies in parts: `blob` lines hold long strings once, and a request body may name ' +
      'them (`refs`) and continue an earlier request\'s conversation (`lists`). Version-1 lines have neither, and each one ' +
      'reads the same in version 2, so the step changes only the version number.',
    migrate: (events) => events.slice(),
  },
];

export interface MigrateOptions {
  migrations?: readonly Migration[];
  /** The version this guardrun writes (a test passes its own). */
  current?: number;
}

export interface Migrated {
  events: RawEvent[];
  /** The versions the events passed through, e.g. [1, 2, 3]; just [current] when none was needed. */
  path: number[];
}

/** Brings `events` (of format `version`) to the current version. Throws E_SESSION_VERSION for a newer file. */
export function migrateEvents(events: readonly RawEvent[], version: number, options: MigrateOptions = {}): Migrated {
  const migrations = options.migrations ?? MIGRATIONS;
  const current = options.current ?? FORMAT_VERSION;
  if (!Number.isInteger(version) || version < 1) {
    throw new GuardrunError('E_SESSION_FORMAT', `the session file names format version ${String(version)}, which no guardrun wrote`, 'check that this is a guardrun session file (its first line is the session.start event)');
  }
  if (version > current) {
    throw new GuardrunError(
      'E_SESSION_VERSION',
      `this session file was written by a newer guardrun (format version ${version}; this guardrun ${current === FORMAT_VERSION ? 'reads' : 'is set to read'} up to version ${current})`,
      'upgrade guardrun (npm install -g guardrun@latest) to read it',
    );
  }
  let out: RawEvent[] = [...events];
  const path = [version];
  for (let v = version; v < current; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) {
      throw new GuardrunError('E_INTERNAL', `no converter from session format version ${v} to ${v + 1}`, 'this is a bug in guardrun; please report it with the session file\'s first line');
    }
    out = step.migrate(out);
    const head = out[0];
    if (head && head.type === 'session.start') out[0] = { ...head, version: v + 1 };
    path.push(v + 1);
  }
  return { events: out, path };
}
