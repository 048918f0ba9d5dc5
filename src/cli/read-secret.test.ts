import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { GuardrunError } from '../errors.js';
import { SecretInputAborted, readSecret } from './read-secret.js';

const KEY = 'sk-test-fake-read-0000000000000000';

function sink(): PassThrough & { text(): string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return Object.assign(out, { text: () => text });
}

/** A fake terminal: records raw mode, lets the test type. */
function terminal(): PassThrough & { isTTY: boolean; setRawMode: ReturnType<typeof vi.fn<(mode: boolean) => unknown>> } {
  return Object.assign(new PassThrough(), { isTTY: true, setRawMode: vi.fn<(mode: boolean) => unknown>() });
}

const read = (stdin: Parameters<typeof readSecret>[0]['stdin'], stderr = sink()) =>
  readSecret({ stdin, stderr, prompt: 'key: ', pipeHint: 'printf %s "$KEY" | guardrun key set openai' });

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (e: unknown) => e);
}

describe('readSecret from a pipe', () => {
  it.each([
    [KEY, KEY],
    [`${KEY}\n`, KEY],
    [`${KEY}\r\n`, KEY],
  ])('reads %j as the key', async (input, expected) => {
    expect(await read(Readable.from([input]))).toBe(expected);
  });

  it('joins chunks, including a character split across them', async () => {
    const bytes = Buffer.from(`${KEY}é`);
    const at = bytes.length - 1;
    expect(await read(Readable.from([bytes.subarray(0, 5), bytes.subarray(5, at), bytes.subarray(at)]))).toBe(`${KEY}é`);
  });

  it.each([
    ['empty', '', /empty/],
    ['only a newline', '\n', /empty/],
    ['two newlines', `${KEY}\n\n`, /line breaks/],
    ['a space inside', 'sk-test fake', /spaces/],
    ['a leading space', ` ${KEY}`, /spaces/],
  ])('rejects %s input with E_KEY_INPUT', async (_, input, message) => {
    const error = await rejected(read(Readable.from([input])));
    expect(error).toBeInstanceOf(GuardrunError);
    expect((error as GuardrunError).code).toBe('E_KEY_INPUT');
    expect((error as GuardrunError).message).toMatch(message);
  });

  it('stops reading a huge input', async () => {
    const error = await rejected(read(Readable.from(['x'.repeat(40_000)])));
    expect((error as GuardrunError).code).toBe('E_KEY_INPUT');
    expect((error as GuardrunError).message).toMatch(/longer than/);
  });
});

describe('readSecret from a terminal', () => {
  it('prompts on stderr, reads in raw mode without echo, and restores the mode', async () => {
    const stdin = terminal();
    const stderr = sink();
    const result = read(stdin, stderr);
    stdin.write('sk-test-fake');
    stdin.write('-tty\r');
    expect(await result).toBe('sk-test-fake-tty');
    expect(stdin.setRawMode.mock.calls).toEqual([[true], [false]]);
    expect(stderr.text()).toBe('key: \n');
  });

  it('handles backspace, Ctrl-U and escape sequences', async () => {
    const stdin = terminal();
    const result = read(stdin);
    stdin.write('junk\u0015'); // Ctrl-U clears the line
    stdin.write('\u001b[200~sk-test-fakX\u001b[201~'); // bracketed paste markers are dropped
    stdin.write('\u007fe\u001b[D-ok\u0008k\n'); // DEL and BS erase; an arrow key is ignored
    expect(await result).toBe('sk-test-fake-ok');
  });

  it('aborts on Ctrl-C and restores the mode', async () => {
    const stdin = terminal();
    const result = rejected(read(stdin));
    stdin.write('sk-test\u0003');
    expect(await result).toBeInstanceOf(SecretInputAborted);
    expect(stdin.setRawMode).toHaveBeenLastCalledWith(false);
  });

  it('treats Ctrl-D on an empty line as empty input', async () => {
    const stdin = terminal();
    const result = rejected(read(stdin));
    stdin.write('\u0004');
    expect(((await result) as GuardrunError).code).toBe('E_KEY_INPUT');
  });
});
