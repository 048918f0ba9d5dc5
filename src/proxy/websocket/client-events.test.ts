import { describe, expect, it } from 'vitest';
import { AUDIO_REFUSED_CODE, classifyClientEvent, REFUSED_EVENT_CODE } from './client-events.js';

const ev = (o: unknown): string => JSON.stringify(o);

describe('client events of a WebSocket connection', () => {
  it('Responses: response.create is a request, response.processed a control event, anything else is refused', () => {
    expect(classifyClientEvent('responses', ev({ type: 'response.create', model: 'm', input: 'hi', stream_id: 'a' }))).toMatchObject({ kind: 'request', generating: true, ref: { streamId: 'a' } });
    expect(classifyClientEvent('responses', ev({ type: 'response.processed', response_id: 'resp_1' }))).toMatchObject({ kind: 'control' });
    expect(classifyClientEvent('responses', ev({ type: 'response.steer', input: 'more' }))).toMatchObject({ kind: 'refuse', error: { code: REFUSED_EVENT_CODE } });
  });

  it('Realtime: text-carrying events are requests, only response.create generates; commands are control events', () => {
    expect(classifyClientEvent('realtime', ev({ type: 'session.update', session: { instructions: 'x' } }))).toMatchObject({ kind: 'request', generating: false });
    expect(classifyClientEvent('realtime', ev({ type: 'conversation.item.create', event_id: 'e1', item: { type: 'message', content: [{ type: 'input_text', text: 'hi' }] } }))).toMatchObject({ kind: 'request', generating: false, ref: { eventId: 'e1' } });
    expect(classifyClientEvent('realtime', ev({ type: 'response.create', response: { instructions: 'x' } }))).toMatchObject({ kind: 'request', generating: true });
    expect(classifyClientEvent('realtime', ev({ type: 'response.cancel' }))).toMatchObject({ kind: 'control' });
    expect(classifyClientEvent('realtime', ev({ type: 'transcription_session.update' }))).toMatchObject({ kind: 'refuse' });
  });

  it('Realtime: audio cannot be inspected, so it is refused wherever it is', () => {
    for (const audio of [
      { type: 'input_audio_buffer.append', audio: 'AAAA' },
      { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_audio', audio: 'AAAA' }] } },
      { type: 'response.create', response: { input: [{ type: 'message', role: 'user', content: [{ type: 'input_audio', audio: 'AAAA' }] }] } },
    ]) {
      expect(classifyClientEvent('realtime', ev(audio))).toMatchObject({ kind: 'refuse', error: { code: AUDIO_REFUSED_CODE, status: 400 }, omitted: 'audio' });
    }
  });

  it('refuses what is not a JSON event with a type', () => {
    for (const text of ['not json', '[1,2]', '{"model":"m"}', '"response.create"']) {
      expect(classifyClientEvent('responses', text)).toMatchObject({ kind: 'refuse', error: { code: REFUSED_EVENT_CODE } });
    }
  });
});
