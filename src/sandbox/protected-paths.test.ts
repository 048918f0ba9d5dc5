import { describe, expect, test } from 'vitest';
import { deniedReads, protectedPaths } from './protected-paths.js';

describe('what the sandbox hides', () => {
  const env = { HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/tmp/dbus-abc,guid=123', CODEX_HOME: '/work/codex-home' };
  const paths = protectedPaths(env, '/home/u').map((p) => p.path);

  test('stored logins of known agents and the key store\'s ways in', () => {
    expect(paths).toEqual(expect.arrayContaining([
      '/work/codex-home/auth.json', '/home/u/.codex/auth.json', '/home/u/.claude/.credentials.json',
      '/home/u/.local/share/keyrings', '/run/user/1000/bus', '/run/user/1000/keyring', '/tmp/dbus-abc',
    ]));
    expect(new Set(paths).size).toBe(paths.length);
  });

  test('an abstract D-Bus address has no path to hide (the sandbox\'s own network namespace keeps it out)', () => {
    expect(protectedPaths({ HOME: '/h', DBUS_SESSION_BUS_ADDRESS: 'unix:abstract=/tmp/dbus-x' }, '/h').map((p) => p.path).filter((p) => p.includes('dbus'))).toEqual([]);
  });

  test('--sandbox-allow-read gives back a path, or everything under a directory', () => {
    const left = deniedReads(protectedPaths(env, '/home/u'), ['~/.codex/auth.json', '/run/user/1000'], '/work', '/home/u').map((p) => p.path);
    expect(left).not.toContain('/home/u/.codex/auth.json');
    expect(left).not.toContain('/run/user/1000/bus');
    expect(left).toContain('/work/codex-home/auth.json');
    expect(left).toContain('/home/u/.claude/.credentials.json');
  });
});
