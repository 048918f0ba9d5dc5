import { describe, expect, it } from 'vitest';
import { GuardrunError } from '../errors.js';
import { FORMAT_VERSION } from './format.js';
import { MIGRATIONS, migrateEvents, type Migration, type RawEvent } from './migrations.js';

// A hypothetical future: version 2 renamed `costUsd` to `spendUsd` on responses, version 3 added `phase`
// to every request. Only the mechanism is real; no such versions were released.
const HYPOTHETICAL: Migration[] = [
  {
    from: 2,
    describe: 'requests get phase "request"',
    migrate: (events) => events.map((e) => (e.type === 'request' ? { ...e, phase: 'request' } : e)),
  },
  {
    from: 1,
    describe: 'response costUsd becomes spendUsd',
    migrate: (events) => events.map((e) => {
      if (e.type !== 'response' || !('costUsd' in e)) return e;
      const { costUsd, ...rest } = e;
      return { ...rest, spendUsd: costUsd };
    }),
  },
];

const v1: RawEvent[] = [
  { type: 'session.start', version: 1 },
  { type: 'request', id: 1 },
  { type: 'response', id: 1, costUsd: 0.5 },
];

describe('session format converters', () => {
  it('has version 2 as the current version, and converts version 1 by its number alone (its lines read the same)', () => {
    expect(FORMAT_VERSION).toBe(2);
    expect(MIGRATIONS.map((m) => m.from)).toEqual([1]);
    const out = migrateEvents(v1, 1);
    expect(out.path).toEqual([1, 2]);
    expect(out.events).toEqual([{ type: 'session.start', version: 2 }, ...v1.slice(1)]);
    expect(v1[0]).toEqual({ type: 'session.start', version: 1 }); // input untouched
    expect(migrateEvents(out.events, 2).path).toEqual([2]);
  });

  it('applies N → N+1 converters in order, whatever order they are registered in', () => {
    const out = migrateEvents(v1, 1, { migrations: HYPOTHETICAL, current: 3 });
    expect(out.path).toEqual([1, 2, 3]);
    expect(out.events[0]).toEqual({ type: 'session.start', version: 3 });
    expect(out.events[1]).toEqual({ type: 'request', id: 1, phase: 'request' });
    expect(out.events[2]).toEqual({ type: 'response', id: 1, spendUsd: 0.5 });
    expect(v1[2]).toEqual({ type: 'response', id: 1, costUsd: 0.5 }); // input untouched
  });

  it('starts from the file\'s own version', () => {
    const v2: RawEvent[] = [{ type: 'session.start', version: 2 }, { type: 'request', id: 1 }];
    const out = migrateEvents(v2, 2, { migrations: HYPOTHETICAL, current: 3 });
    expect(out.path).toEqual([2, 3]);
    expect(out.events[1]).toEqual({ type: 'request', id: 1, phase: 'request' });
  });

  it('refuses a newer version with an "upgrade guardrun" error', () => {
    const attempt = () => migrateEvents([{ type: 'session.start', version: FORMAT_VERSION + 1 }], FORMAT_VERSION + 1);
    expect(attempt).toThrow(GuardrunError);
    try {
      attempt();
    } catch (error) {
      const e = error as GuardrunError;
      expect(e.code).toBe('E_SESSION_VERSION');
      expect(e.message).toContain(`format version ${FORMAT_VERSION + 1}`);
      expect(e.fix).toMatch(/upgrade guardrun/);
    }
  });

  it('says it is a bug when a step is missing, and refuses versions no guardrun wrote', () => {
    expect(() => migrateEvents(v1, 1, { migrations: [HYPOTHETICAL[1]], current: 3 })).toThrow(/no converter from session format version 2 to 3/);
    expect(() => migrateEvents(v1, 0)).toThrow(/format version 0/);
    expect(() => migrateEvents(v1, 1.5)).toThrow(/format version 1.5/);
  });
});
