import { describe, expect, it } from 'vitest';
import { chatRequest, chatResponse, sealEvents, startEvent } from '../replay/test-session.js';
import { GENESIS_HASH, sealLine } from './hash-chain.js';
import { parseSession } from './reader.js';
import { checkSeal, keyIdOf, sealMac } from './seal.js';
import { verifyChain } from './verify-chain.js';

const KEY = 'test-fake-signing-key-000000000000000000000000';
const END = { type: 'session.end', time: '2026-01-01T00:00:09.000Z', reason: 'exit', exitCode: 0, requests: 1, denied: 0, costUsd: 0, durationMs: 9 };

/** A sealed session built line by line as the recorder writes it; `tamper` edits events before sealing. */
function sealedFile(o: { key?: string; reply?: string; sealedOverride?: (endHash: string) => string } = {}): string {
  const events: Array<Record<string, unknown>> = [startEvent(), chatRequest(1, 'hi'), chatResponse(1, o.reply ?? 'hello'), END];
  let previous = GENESIS_HASH;
  const lines: string[] = [];
  events.forEach((event, i) => {
    const s = sealLine(previous, `{"seq":${i + 1},${JSON.stringify(event).slice(1)}`);
    previous = s.hash;
    lines.push(s.line);
  });
  const sealed = o.sealedOverride ? o.sealedOverride(previous) : previous;
  const key = o.key ?? KEY;
  const seal = { type: 'session.seal', alg: 'HMAC-SHA256', keyId: keyIdOf(key), sealed, mac: sealMac(key, 'a1b2c3d4e5f6', sealed) };
  lines.push(sealLine(previous, `{"seq":5,${JSON.stringify(seal).slice(1)}`).line);
  return lines.join('\n') + '\n';
}

function check(text: string, key: string | undefined) {
  const session = parseSession(text, 'mem.jsonl');
  return checkSeal(session, verifyChain(session.lines), key);
}

describe('session seals', () => {
  it('valid with the key it was made with; the file still counts as complete and closed', () => {
    const text = sealedFile();
    const session = parseSession(text, 'mem.jsonl');
    expect(session.complete).toBe(true);
    expect(verifyChain(session.lines).closed).toBe(true);
    expect(check(text, KEY)).toMatchObject({ state: 'valid', keyId: keyIdOf(KEY) });
  });

  it('unchecked without a key; invalid with another key', () => {
    expect(check(sealedFile(), undefined).state).toBe('unchecked');
    expect(check(sealedFile(), 'another-fake-key-1111111111111111').state).toBe('invalid');
  });

  it('a forger who rewrites the content and recomputes every hash, the seal\'s `sealed` included, cannot make the MAC', () => {
    // Sealed by the owner over the real content…
    const real = sealedFile();
    const realSeal = JSON.parse(real.trim().split('\n').at(-1)!);
    // …then the forger rebuilds the file with other content and points the seal at the new closing hash,
    // keeping the owner's MAC (the only one there is).
    const forged = sealedFile({ reply: 'forged', sealedOverride: (h) => h });
    const lines = forged.trim().split('\n');
    const seal = JSON.parse(lines.at(-1)!);
    seal.mac = realSeal.mac;
    delete seal.seq;
    delete seal.hash;
    const previous = JSON.parse(lines.at(-2)!).hash;
    lines[lines.length - 1] = sealLine(previous, `{"seq":5,${JSON.stringify(seal).slice(1)}`).line;
    const text = lines.join('\n') + '\n';
    expect(verifyChain(parseSession(text, 'mem.jsonl').lines).ok).toBe(true);
    expect(check(text, KEY)).toMatchObject({ state: 'invalid', message: expect.stringContaining('does not match') });
  });

  it('a seal that is not right after the closing line is invalid; no seal is "none"', () => {
    const wrong = sealedFile({ sealedOverride: () => 'f'.repeat(64) });
    expect(check(wrong, KEY).state).toBe('invalid');
    expect(check(sealEvents([startEvent(), END]), KEY).state).toBe('none');
  });
});
