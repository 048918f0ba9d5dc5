// Issue 10, item 9: credentials around the child. Key-shaped values under other names and copies of the held
// key are withheld from its environment (named at start, never shown); in kernel-keyring mode the child cannot
// read the key (`keyctl print`, `keyctl search`, `keyctl get_persistent`); `--nested` inside a session does
// not send a keychain key to an upstream of the agent's choosing.
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { BIN, guardrun } from '../e2e/harness.js';
import { FAKE_OPENAI_KEY, startGuarded, tempDir } from './harness.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
});
afterAll(() => upstream.close());

const LOOKALIKES = {
  MY_OPENAI_KEY: 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9o',
  OPENROUTER_API_KEY: 'sk-or-v1-' + '7f3a9c'.repeat(10) + 'abcd',
  GITHUB_TOKEN: 'ghp_' + 'Zq8'.repeat(12),
  UPPER_COPY: FAKE_OPENAI_KEY.toUpperCase(),
  B64_COPY: Buffer.from(FAKE_OPENAI_KEY).toString('base64'),
};

describe('the child environment', () => {
  it('withholds key-shaped values and copies of the key, says which by name only; --pass-env keeps one', async () => {
    const g = await startGuarded({ upstream: upstream.url, env: { ...LOOKALIKES, EDITOR: 'vim' }, args: ['--pass-env', 'GITHUB_TOKEN'], childEnv: true });
    const end = await g.stop();
    const env = g.child.env!;
    for (const name of ['MY_OPENAI_KEY', 'OPENROUTER_API_KEY', 'UPPER_COPY', 'B64_COPY']) expect(env[name], name).toBeUndefined();
    expect(env.GITHUB_TOKEN).toBe(LOOKALIKES.GITHUB_TOKEN);
    expect(env.EDITOR).toBe('vim');
    expect(end.stderr).toContain("withheld from the agent's environment (their values look like credentials): B64_COPY, MY_OPENAI_KEY, OPENROUTER_API_KEY, UPPER_COPY; --pass-env NAME keeps one");
    for (const value of Object.values(LOOKALIKES)) if (value !== LOOKALIKES.GITHUB_TOKEN) expect(end.stderr).not.toContain(value.slice(0, 16));
  });
});

describe('kernel keyring', () => {
  const hasKeyctl = (() => {
    try {
      execFileSync('keyctl', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.runIf(hasKeyctl)('the child cannot read the key guardrun took from the kernel keyring; guardrun still uses it', async () => {
    const dir = tempDir('guardrun-kr-');
    const probe = join(dir, 'probe.sh');
    // What a prompt-injected tool would try: the description keyring-rs uses, every way keyutils offers.
    writeFileSync(probe, `
id=$(keyctl search @s user keyring:openai@guardrun 2>/dev/null) && echo "READ1:$(keyctl print "$id" 2>/dev/null)"
p=$(keyctl get_persistent @s 2>/dev/null)
id=$(keyctl search @s user keyring:openai@guardrun 2>/dev/null) && echo "READ2:$(keyctl print "$id" 2>/dev/null)"
keyctl session _ses sh -c 'id=$(keyctl search @s user keyring:openai@guardrun 2>/dev/null) && echo "READ3:$(keyctl print "$id")"' 2>/dev/null
node -e "fetch(process.env.OPENAI_BASE_URL + '/models', { headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY } }).then((r) => console.log('STATUS:' + r.status))"
`);
    const script = [
      `printf %s '${FAKE_OPENAI_KEY}' | node '${BIN}' key set openai >/dev/null 2>&1 || exit 9`,
      `node '${BIN}' --upstream '${upstream.url}' --session-file '${join(dir, 's.jsonl')}' --ci -- sh '${probe}'`,
      'code=$?',
      // An agent starting its own inner run with an upstream of its choosing gets no keychain key sent there.
      `GUARDRUN_SESSION=outer0000000 node '${BIN}' --nested --upstream http://127.0.0.1:9 --session-file '${join(dir, 'n.jsonl')}' -- true 2>&1 | sed 's/^/NESTED:/'`,
      `node '${BIN}' key delete openai >/dev/null 2>&1`,
      'exit $code',
    ].join('\n');
    // Asynchronously: the fake upstream answers from this process.
    const r = await execa('keyctl', ['session', '-', 'sh', '-c', script], { env: { PATH: process.env.PATH, HOME: dir, GUARDRUN_KEYSTORE: 'kernel-keyring', LANG: 'C.UTF-8' }, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });
    const out = String(r.stdout);
    expect(r.exitCode, `${out}\n${String(r.stderr)}`).toBe(0);
    expect(out).toContain('NESTED:guardrun: inside guardrun session outer0000000, --nested sends a key from the keychain only to https://api.openai.com, not to http://127.0.0.1:9 [E_NESTED]');
    expect(out).toContain('STATUS:200');
    expect(out).not.toContain(FAKE_OPENAI_KEY);
    expect(out).not.toMatch(/READ\d/);
  });
});
