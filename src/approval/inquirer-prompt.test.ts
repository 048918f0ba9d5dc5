// The real @inquirer prompt on in-memory streams: keys in, choice out, and the shared output stays open.
import { Chalk } from 'chalk';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { inquirerPrompt, type PromptIo } from './inquirer-prompt.js';
import type { ApprovalRequest } from './types.js';

const DOWN = '\x1b[B';
const request: ApprovalRequest = {
  id: 4,
  phase: 'request',
  endpoint: 'POST /v1/responses',
  model: 'gpt-4.1',
  spendUsd: 0.25,
  reasons: [{ rule: 'rule:no-shell', reason: 'the model asked to run a shell command' }],
  excerpt: 'tool shell: {"cmd":"rm -rf build"}',
};

function streams() {
  const input = new PassThrough();
  let text = '';
  const output = Object.assign(new PassThrough(), { columns: 100, rows: 30 });
  output.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const io = (signal = new AbortController().signal): PromptIo => ({ input, output, signal, colors: new Chalk({ level: 0 }), deadline: Date.now() + 125_000 });
  return { input, output, io, text: () => text };
}

async function answer(keys: string[], waitFor = 'Let this request through?') {
  const s = streams();
  const choice = inquirerPrompt(request, s.io());
  await vi.waitFor(() => expect(s.text()).toContain(waitFor));
  for (const key of keys) s.input.write(key);
  return { choice: await choice, ...s };
}

describe('inquirerPrompt', () => {
  it('draws the request block and allows once on Enter', async () => {
    const { choice, text, output } = await answer(['\r']);
    expect(choice).toEqual({ kind: 'once' });
    for (const part of ['#4', 'POST /v1/responses', 'gpt-4.1', 'price unknown', '$0.25', 'rule:no-shell', 'rm -rf build', 'Allow once', 'Deny with a reason', 'Deny for the rest of this session (rule:no-shell on gpt-4.1)', 'denied in 2:05 without an answer', 'Ctrl-C denies this request · Ctrl-C twice within 3 s stops the run']) {
      expect(text()).toContain(part);
    }
    expect(output.writableEnded).toBe(false); // the shared terminal stream survives the prompt
  });

  it('allows for the session with the second choice: by arrow and Enter, or by its digit alone', async () => {
    expect((await answer([DOWN, '\r'])).choice).toEqual({ kind: 'session' });
    expect((await answer(['2'])).choice).toEqual({ kind: 'session' });
  });

  it('a digit answers at once; 4 denies for the rest of the session', async () => {
    expect((await answer(['3'])).choice).toEqual({ kind: 'deny' });
    expect((await answer(['4'])).choice).toEqual({ kind: 'deny-session' });
  });

  it('clears the menu once answered (the approver prints one line instead)', async () => {
    const { text } = await answer(['1']);
    expect(text()).toMatch(/\x1b\[\d*[JK]|\x1b\[\d+A/); // the menu's lines were erased
  });

  it('denies, and denies with a typed reason', async () => {
    expect((await answer([DOWN, DOWN, '\r'])).choice).toEqual({ kind: 'deny' });
    const s = streams();
    const choice = inquirerPrompt(request, s.io());
    await vi.waitFor(() => expect(s.text()).toContain('Let this request through?'));
    s.input.write('5');
    await vi.waitFor(() => expect(s.text()).toContain('Reason (sent to the agent):'));
    s.input.write('use the cheaper model\r');
    expect(await choice).toEqual({ kind: 'deny', reason: 'use the cheaper model' });
  });

  it('rejects with AbortPromptError when the signal aborts', async () => {
    const s = streams();
    const controller = new AbortController();
    const choice = inquirerPrompt(request, s.io(controller.signal));
    await vi.waitFor(() => expect(s.text()).toContain('Let this request through?'));
    controller.abort('timeout');
    await expect(choice).rejects.toMatchObject({ name: 'AbortPromptError' });
  });
});
