// Reads a secret without echoing it: raw-mode keystrokes on a terminal, or everything piped in. Never from argv.
import { StringDecoder } from 'node:string_decoder';
import { GuardrunError } from '../errors.js';
import type { CliIO } from './io.js';

/** The person pressed Ctrl-C at the prompt: nothing should change, and the exit code is 130. */
export class SecretInputAborted extends Error {
  constructor() {
    super('aborted at the prompt');
    this.name = 'SecretInputAborted';
  }
}

export interface ReadSecretOptions {
  stdin: CliIO['stdin'];
  stderr: CliIO['stderr'];
  /** Shown on stderr before hidden input, e.g. "openai API key (input hidden): ". */
  prompt: string;
  /** For error messages: how to pipe the secret instead. */
  pipeHint: string;
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 16 * 1024;

/** Resolves to the secret; E_KEY_INPUT when it is empty, too long or has whitespace inside; SecretInputAborted on Ctrl-C. */
export async function readSecret(options: ReadSecretOptions): Promise<string> {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const { stdin } = options;
  const value =
    stdin.isTTY && typeof stdin.setRawMode === 'function'
      ? await readHidden(options, maxLength)
      : (await readPiped(stdin, maxLength, options.pipeHint)).replace(/\r?\n$/, '');
  if (value === '') {
    throw new GuardrunError('E_KEY_INPUT', 'no key was given (the input was empty)', `type or paste the key at the prompt, or pipe it: ${options.pipeHint}`);
  }
  if (/[\s\p{Cc}]/u.test(value)) {
    throw new GuardrunError('E_KEY_INPUT', 'the key contains spaces, line breaks or control characters', `give exactly the key, e.g. ${options.pipeHint}`);
  }
  return value;
}

async function readPiped(stdin: CliIO['stdin'], maxLength: number, pipeHint: string): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (text.length > maxLength + 2) {
      throw new GuardrunError('E_KEY_INPUT', `the input is longer than ${maxLength} characters; that is not an API key`, `pipe only the key: ${pipeHint}`);
    }
  }
  return text + decoder.end();
}

/** Keystrokes in raw mode: Enter ends, Backspace erases, Ctrl-U clears, Ctrl-C aborts, escape sequences (arrows, paste brackets) are dropped. */
function readHidden(options: ReadSecretOptions, maxLength: number): Promise<string> {
  const { stdin, stderr } = options;
  const setRawMode = stdin.setRawMode!.bind(stdin);
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let chars: string[] = [];
    let state: 'text' | 'esc' | 'csi' | 'ss3' = 'text';

    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(chars.join(''));
    };
    const onEnd = (): void => finish();
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const ch of text) {
        const code = ch.codePointAt(0)!;
        if (state === 'esc') {
          state = ch === '[' ? 'csi' : ch === 'O' ? 'ss3' : 'text';
          continue;
        }
        if (state === 'csi') {
          if (code >= 0x40 && code <= 0x7e) state = 'text';
          continue;
        }
        if (state === 'ss3') {
          state = 'text';
          continue;
        }
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new SecretInputAborted());
        if (ch === '\u0004' && chars.length === 0) return finish();
        if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
        else if (ch === '\u0015') chars = [];
        else if (ch === '\u001b') state = 'esc';
        else if (code >= 0x20) chars.push(ch);
        if (chars.length > maxLength) {
          return finish(new GuardrunError('E_KEY_INPUT', `the input is longer than ${maxLength} characters; that is not an API key`, `pipe only the key: ${options.pipeHint}`));
        }
      }
    };

    stderr.write(options.prompt);
    setRawMode(true);
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  });
}
