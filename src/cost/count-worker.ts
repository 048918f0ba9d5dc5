// Token counting off the event loop: one worker thread counts the texts a request adds, within a time budget.
// A request whose texts are not all counted in time (a huge prompt, text the tokenizer is slow on) gets an
// upper bound for the rest (bytes ≥ tokens), and the worker is ended so nothing queues behind a runaway;
// the next request starts a fresh one. The proxy keeps answering meanwhile (issue 10: a 2 MB prompt of one
// repeated character used to stop it for minutes).
import { Worker } from 'node:worker_threads';
import type { TokenizerEncoding } from './encoding.js';
import { encodingModulePath, pieces } from './tokenizer.js';

// The worker is a script (eval), so it runs the same from the bundle and from the sources in tests. It is
// given the tokenizer's resolved path and receives texts already cut into pieces (tokenizer.ts), so it
// resolves and decides nothing itself. It answers text by text, so a budget that runs out keeps what is done.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const loaded = new Map();
const plain = { disallowedSpecial: new Set() };
parentPort.on('message', (job) => {
  let count = loaded.get(job.module);
  if (!count) { count = require(job.module).countTokens; loaded.set(job.module, count); }
  for (let i = 0; i < job.texts.length; i++) {
    let total = 0;
    for (const piece of job.texts[i]) total += count(piece, plain);
    parentPort.postMessage({ id: job.id, index: i, tokens: total });
  }
  parentPort.postMessage({ id: job.id, done: true });
});
`;

export interface CountWorker {
  /**
   * Token counts of `texts` in `encoding`, in order; `undefined` for a text not counted within `budgetMs`
   * (the caller bounds it). Never rejects: a worker that cannot start or fails leaves every text undefined.
   */
  count(texts: readonly string[], encoding: TokenizerEncoding, budgetMs: number): Promise<Array<number | undefined>>;
  /** Ends the worker (idempotent); a later count starts a new one. */
  close(): Promise<void>;
}

interface Job {
  counts: Array<number | undefined>;
  resolve: (counts: Array<number | undefined>) => void;
  timer: NodeJS.Timeout;
}

export function createCountWorker(): CountWorker {
  let worker: Worker | undefined;
  let nextId = 0;
  const jobs = new Map<number, Job>();

  const finish = (id: number): void => {
    const job = jobs.get(id);
    if (!job) return;
    jobs.delete(id);
    clearTimeout(job.timer);
    job.resolve(job.counts);
  };
  // Ends the worker and answers every job with what it has: a runaway text must not hold up later requests.
  const stop = (): Promise<void> => {
    const w = worker;
    worker = undefined;
    for (const id of [...jobs.keys()]) finish(id);
    return w ? w.terminate().then(() => undefined, () => undefined) : Promise.resolve();
  };
  const start = (): Worker | undefined => {
    if (worker) return worker;
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: true });
      w.unref(); // never keeps guardrun alive
      w.on('message', (m: { id: number; index?: number; tokens?: number; done?: boolean }) => {
        const job = jobs.get(m.id);
        if (!job) return;
        if (m.done) finish(m.id);
        else if (m.index !== undefined) job.counts[m.index] = m.tokens;
      });
      w.on('error', () => void (worker === w && stop()));
      w.on('exit', () => void (worker === w && stop()));
      worker = w;
      return w;
    } catch {
      return undefined;
    }
  };

  return {
    count(texts, encoding, budgetMs) {
      const counts: Array<number | undefined> = texts.map(() => undefined);
      if (texts.length === 0) return Promise.resolve(counts);
      const w = start();
      if (!w) return Promise.resolve(counts);
      const id = ++nextId;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          // Out of time: keep what was counted, end the worker (it may be deep in one text), bound the rest.
          if (jobs.has(id)) void stop();
        }, budgetMs);
        timer.unref();
        jobs.set(id, { counts, resolve, timer });
        try {
          w.postMessage({ id, module: encodingModulePath(encoding), texts: texts.map((t) => [...pieces(t)]) });
        } catch {
          finish(id);
        }
      });
    },
    close: stop,
  };
}
