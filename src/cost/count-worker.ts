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
// A warm-up job loads the ranks and runs the tokenizer once over text of many shapes, so the first real count
// runs compiled code; it answers { warmed } when done.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const loaded = new Map();
const plain = { disallowedSpecial: new Set() };
const sample = () => {
  const parts = [];
  for (let i = 0; i < 3000; i++) {
    parts.push('word' + i.toString(36), i % 5 ? ' ' : '\\n', i % 11 ? '' : 'const x' + i + ' = fn(a, [1, 2.5]); ');
    if (i % 17 === 0) parts.push('{"key_' + i + '": "value", "n": ' + i * 3.7 + '} ');
    if (i % 29 === 0) parts.push('Größe und Maß, 東京, こんにちは ');
  }
  return parts.join('').match(/[\\s\\S]{1,1000}/g);
};
parentPort.on('message', (job) => {
  let count = loaded.get(job.module);
  if (!count) { count = require(job.module).countTokens; loaded.set(job.module, count); }
  if (job.warm) {
    for (const piece of sample()) count(piece, plain);
    return parentPort.postMessage({ warmed: job.module });
  }
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
  /** Starts the worker (if it is not running) and has it load `encoding` and run it once, in the background. */
  warm(encoding: TokenizerEncoding): void;
  /** True once `encoding` is loaded in the running worker: a count then costs only the tokenizing. */
  ready(encoding: TokenizerEncoding): boolean;
  /** Ends the worker (idempotent); a later count starts a new one. */
  close(): Promise<void>;
}

interface Job {
  /** The encoding module it counts with (loaded in the worker once the job is done). */
  module?: string;
  counts: Array<number | undefined>;
  resolve: (counts: Array<number | undefined>) => void;
  /** The load limit while the encoding loads, then the job's own budget. */
  timer: NodeJS.Timeout;
  /** The budget, started once the encoding is loaded (loading is not the request's to pay for). */
  budgetMs: number;
  /** Waiting for its encoding to load. */
  loading: boolean;
}

/**
 * Longest the worker may take to load an encoding (its ranks and a first run: ~130–450 ms) before a job waiting
 * for it is answered with what it has (nothing) and the worker is ended.
 */
const LOAD_LIMIT_MS = 10_000;

export function createCountWorker(): CountWorker {
  let worker: Worker | undefined;
  let nextId = 0;
  const jobs = new Map<number, Job>();
  // Modules the running worker has loaded (a count of any text loads its encoding too), and those warming.
  const loaded = new Set<string>();
  const warming = new Set<string>();

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
    loaded.clear();
    warming.clear();
    for (const id of [...jobs.keys()]) finish(id);
    return w ? w.terminate().then(() => undefined, () => undefined) : Promise.resolve();
  };
  // Out of time: keep what was counted, end the worker (it may be deep in one text), bound the rest.
  const startBudget = (id: number, job: Job): void => {
    clearTimeout(job.timer);
    job.loading = false;
    job.timer = setTimeout(() => void (jobs.has(id) && stop()), job.budgetMs);
    job.timer.unref();
  };
  const start = (): Worker | undefined => {
    if (worker) return worker;
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: true });
      w.unref(); // never keeps guardrun alive
      w.on('message', (m: { id: number; index?: number; tokens?: number; done?: boolean; warmed?: string }) => {
        if (m.warmed !== undefined) {
          loaded.add(m.warmed);
          warming.delete(m.warmed);
          for (const [id, job] of jobs) if (job.loading && job.module === m.warmed) startBudget(id, job);
          return;
        }
        const job = jobs.get(m.id);
        if (!job) return;
        if (m.done) {
          if (job.module) loaded.add(job.module);
          finish(m.id);
        }
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

  const warm = (encoding: TokenizerEncoding): void => {
    const module = encodingModulePath(encoding);
    if (loaded.has(module) || warming.has(module)) return;
    const w = start();
    if (!w) return;
    warming.add(module);
    try {
      w.postMessage({ warm: true, module });
    } catch {
      warming.delete(module);
    }
  };

  return {
    warm,
    ready: (encoding) => loaded.has(encodingModulePath(encoding)),
    count(texts, encoding, budgetMs) {
      const counts: Array<number | undefined> = texts.map(() => undefined);
      if (texts.length === 0) return Promise.resolve(counts);
      const w = start();
      if (!w) return Promise.resolve(counts);
      const id = ++nextId;
      const module = encodingModulePath(encoding);
      // Not loaded yet: the warm-up job goes first (jobs run in order), and the budget starts when it is done.
      if (!loaded.has(module)) warm(encoding);
      return new Promise((resolve) => {
        const job: Job = { counts, resolve, module, budgetMs, loading: true, timer: setTimeout(() => void (jobs.has(id) && stop()), LOAD_LIMIT_MS) };
        job.timer.unref();
        jobs.set(id, job);
        if (loaded.has(module)) startBudget(id, job);
        try {
          w.postMessage({ id, module, texts: texts.map((t) => [...pieces(t)]) });
        } catch {
          finish(id);
        }
      });
    },
    close: stop,
  };
}
