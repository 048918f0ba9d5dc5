import { describe, expect, it } from 'vitest';
import { createTokenCounter, type TokenCounter } from '../cost/tokens.js';
import type { TokenizerEncoding } from '../cost/encoding.js';
import { parsePolicy } from '../policy/parse.js';
import type { Exchange } from '../proxy/types.js';
import { createDiscardingRecorder } from '../recording/recorder.js';
import { createSessionGuard, newSessionStats, noApprover } from './session-guard.js';

/** A real counter whose `warm` calls are noted (and not carried out: no worker thread is started). */
function watchedCounter(): { counter: TokenCounter; warmed: TokenizerEncoding[] } {
  const warmed: TokenizerEncoding[] = [];
  const counter = { ...createTokenCounter(), warm: (encoding: TokenizerEncoding) => void warmed.push(encoding) };
  return { counter, warmed };
}

function guardWith(policyText: string) {
  const { counter, warmed } = watchedCounter();
  const policy = parsePolicy(policyText, 'p.yaml');
  const guard = createSessionGuard({
    keys: [{ provider: 'openai', value: 'sk-test-fake-openai-real-key-000000000000000000000000', source: 'test' }],
    dummyKey: 'sk-guardrun-test-dummy-000000000000', recorder: createDiscardingRecorder(), approver: noApprover(),
    stats: newSessionStats(), policy: { policy, source: 'p.yaml', sha256: '' }, counter,
  });
  return { guard, warmed };
}

let ids = 0;
function chat(userText: string): Exchange {
  const json = { model: 'gpt-4.1', messages: [{ role: 'user', content: userText }] };
  const text = JSON.stringify(json);
  const apiPath = '/v1/chat/completions';
  return {
    id: ++ids, provider: 'openai', method: 'POST', path: apiPath, apiPath, endpoint: `POST ${apiPath}`, model: 'gpt-4.1', stream: false,
    contentType: 'application/json', body: Buffer.from(text), json, text, startedMs: performance.now(), guardMs: 0, headers: {},
  };
}

// ~200 KB of new text: bounded at its bytes, $0.40 of gpt-4.1 input plus the output assumption, under $0.50, but
// twice that is not.
const LARGE = 'lorem ipsum dolor sit amet '.repeat(7600);

describe('the tokenizer loads only once a limit is in reach', () => {
  it('not at start-up, and not for a request far below every limit', async () => {
    const { guard, warmed } = guardWith('version: 1\n');
    guard.warmUp();
    expect(await guard.checkRequest(chat('hello'))).toEqual({ allow: true });
    expect(warmed).toEqual([]);
    guard.close();
  });

  it('once twice the bound of a request would cross the approval threshold (the request itself still goes on its bound)', async () => {
    const { guard, warmed } = guardWith('version: 1\n');
    expect(await guard.checkRequest(chat(LARGE))).toEqual({ allow: true });
    expect(warmed).toEqual(['o200k_base']);
    guard.close();
  });

  it('once twice the bound would cross what is left of the budget', async () => {
    const { guard, warmed } = guardWith('version: 1\ncost:\n  approve_over_usd: null\n  session_budget_usd: 0.5\n');
    expect(await guard.checkRequest(chat(LARGE))).toEqual({ allow: true });
    expect(warmed).toEqual(['o200k_base']);
    guard.close();
  });

  it('never without limits, however large the request', async () => {
    const { guard, warmed } = guardWith('version: 1\ncost:\n  approve_over_usd: null\n  session_budget_usd: null\n');
    expect(await guard.checkRequest(chat(LARGE + LARGE))).toEqual({ allow: true });
    expect(warmed).toEqual([]);
    guard.close();
  });

  it('at start-up when the policy counts every request (count_tokens: always)', () => {
    const { guard, warmed } = guardWith('version: 1\ncost:\n  count_tokens: always\n');
    guard.warmUp();
    expect(warmed).toEqual(['o200k_base']);
    guard.close();
  });
});
