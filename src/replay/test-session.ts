// For tests: session files built from events, sealed like the recorder seals them, and the golden fixtures.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FORMAT, FORMAT_VERSION } from '../recording/format.js';
import { GENESIS_HASH, sealLine } from '../recording/hash-chain.js';
import { parseSession, type RecordedSession } from '../recording/reader.js';

export const SESSIONS_DIR = fileURLToPath(new URL('../../fixtures/sessions/', import.meta.url));

export function fixturePath(name: string): string {
  return `${SESSIONS_DIR}${name}`;
}

export function fixtureText(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

export function readFixture(name: string): RecordedSession {
  return parseSession(fixtureText(name), fixturePath(name));
}

/** JSON Lines with `seq` first and a chained `hash` last, exactly as recorder.ts writes them. */
export function sealEvents(events: ReadonlyArray<Record<string, unknown>>): string {
  let previous = GENESIS_HASH;
  return events
    .map((event, i) => {
      const sealed = sealLine(previous, `{"seq":${i + 1},${JSON.stringify(event).slice(1)}`);
      previous = sealed.hash;
      return sealed.line + '\n';
    })
    .join('');
}

/** A session.start event with test values; `extra` overrides fields. */
export function startEvent(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'session.start', format: FORMAT, version: FORMAT_VERSION, guardrun: '0.0.0-test', session: 'a1b2c3d4e5f6',
    time: '2026-01-01T00:00:00.000Z', command: ['node', 'agent.js'], cwd: '/tmp/test', upstreams: { openai: 'http://127.0.0.1:9' }, providers: ['openai'],
    ...extra,
  };
}

/** A chat request event (id, prompt text) as the recorder writes it. */
export function chatRequest(id: number, prompt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'request', id, time: `2026-01-01T00:00:0${Math.min(id, 9)}.000Z`, method: 'POST', path: '/v1/chat/completions', provider: 'openai',
    endpoint: 'POST /v1/chat/completions', model: 'gpt-4o-mini', stream: false, headers: { 'content-type': 'application/json' },
    body: { json: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] } },
    ...extra,
  };
}

/** A plain chat answer event for exchange `id`. */
export function chatResponse(id: number, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'response', id, time: `2026-01-01T00:00:0${Math.min(id, 9)}.500Z`, status: 200, headers: { 'content-type': 'application/json' },
    body: { json: { id: `chatcmpl-${id}`, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] } },
    durationMs: 5, source: 'upstream',
    ...extra,
  };
}
