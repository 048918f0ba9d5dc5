// Exact token counts off the event loop: gpt-tokenizer in a worker thread. Loading the o200k_base ranks costs
// ~130–450 ms and ~40 MB of parsing, and tokenizing 100 KB ~10 ms: on the main thread either would stall every
// stream guardrun relays. The worker is started (and its ranks loaded) as soon as the proxy listens, so the
// first request that needs an exact count finds it ready or nearly so; a count that does not come back within
// its deadline is `undefined` (the caller falls back to its upper bound), and the worker is replaced, so one
// pathological text cannot hold up the counts after it.
//
// The worker's code is a string run with `eval: true` (CommonJS), so the same code runs from the bundle and
// from the TypeScript sources under test; it requires the encodings by the absolute paths resolved here.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { TokenizerEncoding } from './encoding.js';

export interface TokenWorker {
  /** Starts the worker (once) and has it load `encoding` in the background. */
  warm(encoding: TokenizerEncoding): void;
  /** True once `encoding` is loaded in the worker: a count then costs only the tokenizing. */
  ready(encoding: TokenizerEncoding): boolean;
  /**
   * Token counts of `texts` in `encoding` (special-token text like "<|endoftext|>" counted as plain text, as the APIs
   * do), in order; `undefined` when they are not back within `deadlineMs` or the worker failed. Never rejects.
   */
  count(texts: readonly string[], encoding: TokenizerEncoding, deadlineMs: number): Promise<number[] | undefined>;
  /** Ends the worker; later calls start a new one. */
  close(): void;
}

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const loaded = new Map();
const plain = { disallowedSpecial: new Set() };
const counter = (name) => {
  let count = loaded.get(name);
  if (!count) {
    count = require(workerData.paths[name]).countTokens;
    loaded.set(name, count);
  }
  return count;
};
// Text of many shapes (words, numbers, code, JSON, other scripts) to run the tokenizer over once when warming,
// so the first real count runs compiled code (a cold count of 300 KB takes ~140 ms, a warm one ~20 ms).
const sample = () => {
  const parts = [];
  for (let i = 0; i < 3000; i++) {
    parts.push('word' + i.toString(36), i % 5 ? ' ' : '\\n', i % 11 ? '' : 'const x' + i + ' = fn(a, [1, 2.5]); ');
    if (i % 17 === 0) parts.push('{"key_' + i + '": "value", "n": ' + i * 3.7 + '} ');
    if (i % 29 === 0) parts.push('Größe und Maß, 東京, こんにちは, ☺️ ');
  }
  return parts.join('');
};
parentPort.on('message', (m) => {
  try {
    const count = counter(m.encoding);
    if (m.type === 'warm') {
      count(sample(), plain);
      return parentPort.postMessage({ type: 'ready', encoding: m.encoding });
    }
    parentPort.postMessage({ type: 'counted', id: m.id, encoding: m.encoding, tokens: m.texts.map((t) => (t.length === 0 ? 0 : count(t, plain))) });
  } catch (error) {
    parentPort.postMessage({ type: 'failed', id: m.id, encoding: m.encoding, message: String(error && error.message) });
  }
});
`;

const load = createRequire(import.meta.url);
const ENCODINGS: readonly TokenizerEncoding[] = ['o200k_base', 'cl100k_base'];

interface Pending {
  resolve(tokens: number[] | undefined): void;
  timer: NodeJS.Timeout;
}

export function createTokenWorker(): TokenWorker {
  let worker: Worker | undefined;
  const ready = new Set<TokenizerEncoding>();
  const warming = new Set<TokenizerEncoding>();
  const pending = new Map<number, Pending>();
  let nextId = 0;

  const stop = (): void => {
    const w = worker;
    worker = undefined;
    ready.clear();
    warming.clear();
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.resolve(undefined);
    }
    void w?.terminate().catch(() => undefined);
  };

  const start = (): Worker => {
    if (worker) return worker;
    const paths = Object.fromEntries(ENCODINGS.map((e) => [e, load.resolve(`gpt-tokenizer/encoding/${e}`)]));
    const w = new Worker(WORKER_CODE, { eval: true, workerData: { paths }, stdout: false, stderr: false });
    w.unref(); // never keeps guardrun alive
    w.on('message', (m: { type: string; id?: number; encoding?: TokenizerEncoding; tokens?: number[] }) => {
      if ((m.type === 'ready' || m.type === 'counted') && m.encoding) ready.add(m.encoding);
      if (m.type === 'counted' && m.id !== undefined) {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        clearTimeout(p.timer);
        p.resolve(m.tokens);
      }
      if (m.type === 'failed') {
        if (m.encoding) warming.delete(m.encoding); // a later warm-up or count tries again
        const p = m.id === undefined ? undefined : pending.get(m.id);
        if (!p) return;
        pending.delete(m.id!);
        clearTimeout(p.timer);
        p.resolve(undefined);
      }
    });
    w.on('error', () => {
      if (worker === w) stop();
    });
    w.on('exit', () => {
      if (worker === w) stop();
    });
    worker = w;
    return w;
  };

  return {
    warm(encoding) {
      if (ready.has(encoding) || warming.has(encoding)) return;
      warming.add(encoding);
      start().postMessage({ type: 'warm', encoding });
    },
    ready: (encoding) => ready.has(encoding),
    count(texts, encoding, deadlineMs) {
      if (texts.length === 0) return Promise.resolve([]);
      return new Promise((resolve) => {
        let w: Worker;
        try {
          w = start();
        } catch {
          return resolve(undefined);
        }
        const id = ++nextId;
        // Past the deadline the worker may be stuck in one text: it is replaced, and the counts after it start afresh.
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(undefined);
          if (worker === w) stop();
        }, deadlineMs);
        timer.unref();
        pending.set(id, { resolve, timer });
        warming.add(encoding);
        w.postMessage({ type: 'count', id, encoding, texts });
      });
    },
    close: stop,
  };
}
