import { describe, expect, it } from 'vitest';
import { agentHandshakeLines, isValidHandshake, offeredProtocols, recordedHandshakeHeaders, sendableCloseCode, sendableCloseReason, upstreamHandshakeHeaders } from './handshake.js';

const KEY = 'sk-guardrun-test-fake-0000';
const mask = (t: string): string => t.split(KEY).join('[REDACTED:dummy-key]');

describe('the WebSocket handshake', () => {
  it('finds the key in the key subprotocol and keeps the others in order', () => {
    expect(offeredProtocols(`realtime, openai-insecure-api-key.${KEY}, openai-beta.realtime-v1`)).toEqual({ key: KEY, others: ['realtime', 'openai-beta.realtime-v1'] });
    expect(offeredProtocols(undefined)).toEqual({ key: undefined, others: [] });
  });

  it('forwards the agent headers but not credentials, cookies or the handshake own', () => {
    const out = upstreamHandshakeHeaders({
      authorization: `Bearer ${KEY}`, cookie: 'a=b', 'sec-websocket-key': 'x', 'sec-websocket-protocol': `openai-insecure-api-key.${KEY}`, 'sec-websocket-extensions': 'permessage-deflate',
      upgrade: 'websocket', connection: 'Upgrade', host: '127.0.0.1', 'openai-beta': 'responses_websockets=2026-02-06', 'accept-encoding': 'gzip',
    });
    expect(out).toEqual({ 'openai-beta': 'responses_websockets=2026-02-06' });
  });

  it('records the handshake without the key, wherever the agent put it', () => {
    const recorded = recordedHandshakeHeaders({ authorization: `Bearer ${KEY}`, 'sec-websocket-protocol': `realtime, openai-insecure-api-key.${KEY}`, 'sec-websocket-key': 'k', 'user-agent': `agent ${KEY}` }, ['realtime'], mask);
    expect(recorded).toEqual({ 'sec-websocket-protocol': 'realtime', 'user-agent': 'agent [REDACTED:dummy-key]' });
  });

  it('gives the agent the upstream answer headers, masked, minus the handshake own', () => {
    const lines = agentHandshakeLines({ 'x-codex-turn-state': 'abc', 'sec-websocket-accept': 'zz', 'x-echo': KEY, upgrade: 'websocket', 'x-multi': ['1', '2'] }, mask);
    expect(lines).toEqual(['x-codex-turn-state: abc', 'x-echo: [REDACTED:dummy-key]', 'x-multi: 1', 'x-multi: 2']);
  });

  it('accepts only a well-formed client handshake', () => {
    const ok = { upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };
    expect(isValidHandshake('GET', ok)).toBe(true);
    expect(isValidHandshake('POST', ok)).toBe(false);
    expect(isValidHandshake('GET', { ...ok, 'sec-websocket-key': 'short' })).toBe(false);
    expect(isValidHandshake('GET', { ...ok, 'sec-websocket-version': '12' })).toBe(false);
  });

  it('sends only close codes and reasons a close frame may carry', () => {
    expect([1000, 1003, 1011, 4001, 1005, 1006, 1015, 2000].map((c) => sendableCloseCode(c))).toEqual([1000, 1003, 1011, 4001, 1000, 1011, 1011, 1011]);
    const reason = sendableCloseReason(`${'é'.repeat(100)} ${KEY}`, mask);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(sendableCloseReason(`bye ${KEY}`, mask)).toBe('bye [REDACTED:dummy-key]');
  });
});
