// Offline input-token estimates with a per-text cache, so a growing conversation only tokenizes what is new.
//
// Each message's text, each tool-call argument and each tool definition is counted on its own and
// cached under the text itself (a sha1 of it past 64K characters, to bound what the cache keeps).
// A string key costs a map lookup (~0.01 ms for 200 KB, measured) where hashing would cost ~0.26 ms.
//
// Timing, measured by hand (Node 20, 2-core dev machine; no timed assertions in tests): a 205 KB chat
// body of 200 messages cost 8.8 ms to count cold (plus ~150 ms to load o200k_base once), then 0.4 ms
// with one new message appended, 0.1 ms with nothing new. To repeat: bundle a scratch script with
// `node_modules/.bin/esbuild x.ts --bundle --platform=node --format=esm --external:gpt-tokenizer`,
// build such a body, and wrap two countRequest calls in performance.now().
import { hash } from 'node:crypto';
import type { Provider } from '../providers.js';
import { endpointKind } from './endpoint-kind.js';
import { Lru } from './lru.js';
import { encodingForModel, type TokenizerEncoding } from './encoding.js';
import { countRequestTokens, type ItemMemo } from './request-tokens.js';
import { countTextTokens, isEncodingLoaded } from './tokenizer.js';
import { createCountWorker, type CountWorker } from './count-worker.js';

export interface TokenCount {
  inputTokens: number;
  encoding: TokenizerEncoding;
  /** Some texts were not counted (over the size or time budget) and count as their UTF-8 bytes: an upper bound. */
  bounded?: boolean;
}

export interface TokenCounterStats {
  hits: number;
  /** Texts that went to the tokenizer. */
  misses: number;
  entries: number;
}

export interface TokenBound extends TokenCount {
  /** The texts that were not counted yet (taken at their UTF-8 size), each once. */
  missing: string[];
}

export interface TokenCounter {
  /**
   * `countRequest`'s figure without tokenizing: texts counted before at their count, the others at their UTF-8
   * size (a token is at least one byte), so never below it; equal to it when `missing` is empty. List items a
   * request re-sends as the same objects (the session file's index hands them over) cost a lookup.
   */
  boundRequest(provider: Provider, endpoint: string, model: string | undefined, body: unknown): TokenBound;
  /** The cached count of `text`, if any. */
  cached(text: string, encoding: TokenizerEncoding): number | undefined;
  /** Starts the worker thread and has it load `encoding` in the background (the proxy calls it as it listens). */
  warm(encoding: TokenizerEncoding): void;
  /** True when counting in `encoding` off the event loop costs no tokenizer load (the worker has it). */
  canCount(encoding: TokenizerEncoding): boolean;
  /**
   * Estimated input tokens of a request body (already parsed JSON), counted on the calling thread. Unknown
   * endpoints count 0. At most `maxSyncChars` of uncached text is tokenized per call; the rest counts as its
   * UTF-8 bytes (an upper bound, `bounded`).
   */
  countRequest(provider: Provider, endpoint: string, model: string | undefined, body: unknown): TokenCount;
  /**
   * The same count with the uncached texts tokenized in a worker thread, so the event loop stays free: at most
   * `maxAsyncChars` of them, within `budgetMs` (default `asyncBudgetMs`); what is left counts as its bytes.
   */
  countRequestAsync(provider: Provider, endpoint: string, model: string | undefined, body: unknown, budgetMs?: number): Promise<TokenCount>;
  /** Tokens in one text, through the cache; a text over `maxSyncChars` counts as its UTF-8 bytes. */
  countText(text: string, encoding: TokenizerEncoding): number;
  /** Tokens in one text, counted in the worker thread; undefined when it could not be counted within the budget. */
  countTextAsync(text: string, encoding: TokenizerEncoding, budgetMs?: number): Promise<number | undefined>;
  /** Ends the worker thread, if one runs. */
  close(): Promise<void>;
  /** True when counting in `encoding` costs no tokenizer load (never load ~450 ms of ranks at the end of an answer). */
  isReady(encoding: TokenizerEncoding): boolean;
  stats(): TokenCounterStats;
}

export interface TokenCounterOptions {
  /** Per encoding. Default 10,000. */
  maxEntries?: number;
  /** Total characters of cache keys kept, per encoding. Default 8,000,000. */
  maxKeyChars?: number;
  /** The uncached tokenizer (tests pass a spy; then the async counts use it too, on the calling thread). Default: gpt-tokenizer, loaded on first use. */
  countText?: (text: string, encoding: TokenizerEncoding) => number;
  /** Uncached characters tokenized on the calling thread per call. Default 1,000,000 (~0.1 s of prose, ~2 s of the slowest text). */
  maxSyncChars?: number;
  /** Uncached characters sent to the worker per request. Default 8,000,000. */
  maxAsyncChars?: number;
  /** Time the worker gets per request, in ms, once its encoding is loaded (the load has its own limit, 10 s: count-worker.ts). Default 2,000. */
  asyncBudgetMs?: number;
}

const DIRECT_KEY_MAX_CHARS = 65_536;

export function createTokenCounter(options: TokenCounterOptions = {}): TokenCounter {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxKeyChars = options.maxKeyChars ?? 8_000_000;
  const maxSyncChars = options.maxSyncChars ?? 1_000_000;
  const maxAsyncChars = options.maxAsyncChars ?? 8_000_000;
  const asyncBudgetMs = options.asyncBudgetMs ?? 2_000;
  const tokenize = options.countText ?? countTextTokens;
  const caches = new Map<TokenizerEncoding, Lru<number>>();
  let worker: CountWorker | undefined;
  let hits = 0;
  let misses = 0;

  const cacheOf = (encoding: TokenizerEncoding): Lru<number> => {
    let cache = caches.get(encoding);
    if (!cache) {
      cache = new Lru<number>(maxEntries, maxKeyChars);
      caches.set(encoding, cache);
    }
    return cache;
  };
  const keyOf = (text: string): string => (text.length <= DIRECT_KEY_MAX_CHARS ? text : `\u0000sha1:${text.length}:${hash('sha1', text, 'base64')}`);
  const peek = (text: string, encoding: TokenizerEncoding): number | undefined => (text.length === 0 ? 0 : cacheOf(encoding).get(keyOf(text)));
  const cached = (text: string, encoding: TokenizerEncoding): number | undefined => {
    const value = peek(text, encoding);
    if (value !== undefined && text.length > 0) hits++;
    return value;
  };
  const remember = (text: string, encoding: TokenizerEncoding, tokens: number): void => {
    misses++;
    cacheOf(encoding).set(keyOf(text), tokens);
  };

  /** Counts on this thread while `budget.chars` lasts; past it, the text's bytes (an upper bound). */
  const countSync = (text: string, encoding: TokenizerEncoding, budget: { chars: number; bounded: boolean }): number => {
    const hit = cached(text, encoding);
    if (hit !== undefined) return hit;
    if (text.length > budget.chars) {
      budget.bounded = true;
      return Buffer.byteLength(text);
    }
    budget.chars -= text.length;
    const tokens = tokenize(text, encoding);
    remember(text, encoding, tokens);
    return tokens;
  };

  /** Tokenizes the uncached texts (worker thread, or the test spy) and caches what was counted in time. */
  const countMisses = async (texts: string[], encoding: TokenizerEncoding, budgetMs: number): Promise<void> => {
    const send: string[] = [];
    let chars = 0;
    for (const text of new Set(texts)) {
      if (chars + text.length > maxAsyncChars) continue;
      chars += text.length;
      send.push(text);
    }
    if (send.length === 0) return;
    if (options.countText) {
      for (const text of send) remember(text, encoding, tokenize(text, encoding));
      return;
    }
    worker ??= createCountWorker();
    const counts = await worker.count(send, encoding, budgetMs);
    counts.forEach((tokens, i) => {
      if (tokens !== undefined) remember(send[i], encoding, tokens);
    });
  };

  const encodingOf = (model: string | undefined, body: unknown): TokenizerEncoding => encodingForModel(model ?? modelOf(body) ?? '');

  // Exact counts of list items (messages, tools) by object: an item a request re-sends is the earlier request's own
  // object again when the session file's index matched it (recording/parts-index.ts), so it costs a lookup, not a walk.
  const itemCounts = byWalk<number>();
  /** A memo keeping only exact figures: none for an item whose walk took a text at its size (`missed` grew). */
  const memoFor = (encoding: TokenizerEncoding, walk: string, missed: { n: number }, lookupOnly = false): ItemMemo => {
    const known = itemCounts(encoding, walk);
    return (item, compute) => {
      const found = known.get(item);
      if (found !== undefined) return found;
      const before = missed.n;
      const n = compute();
      if (missed.n === before && !lookupOnly) known.set(item, n);
      return n;
    };
  };

  // Bounds of list items whose texts were not all counted, by object, with those texts: a re-sent item whose texts
  // are still uncounted (no limit was near, so nothing was tokenized) costs a lookup, not a walk of its text.
  const boundsFor = byWalk<{ tokens: number; missing: string[] }>();

  return {
    countText: (text, encoding) => countSync(text, encoding, { chars: maxSyncChars, bounded: false }),
    async countTextAsync(text, encoding, budgetMs = asyncBudgetMs) {
      if (cached(text, encoding) === undefined) await countMisses([text], encoding, budgetMs);
      return peek(text, encoding);
    },
    isReady: (encoding) => options.countText !== undefined || isEncodingLoaded(encoding),
    countRequest(provider, endpoint, model, body) {
      const encoding = encodingOf(model, body);
      const budget = { chars: maxSyncChars, bounded: false };
      const missed = { n: 0 };
      const inputTokens = countRequestTokens(provider, endpointKind(provider, endpoint), body, (text) => {
        const bounded = budget.bounded;
        const n = countSync(text, encoding, budget);
        if (budget.bounded !== bounded) missed.n++;
        return n;
      }, model, memoFor(encoding, walkOf(provider, endpoint, model, body), missed));
      return budget.bounded ? { inputTokens, encoding, bounded: true } : { inputTokens, encoding };
    },
    boundRequest(provider, endpoint, model, body) {
      const encoding = encodingOf(model, body);
      const missing: string[] = [];
      const missed = { n: 0 };
      const walk = walkOf(provider, endpoint, model, body);
      const exact = memoFor(encoding, walk, missed);
      const bounds = boundsFor(encoding, walk);
      // An item's exact count when there is one; else the bound an earlier request worked out for the same object,
      // with the texts it left uncounted (so the caller still knows the figure is a bound).
      const memo: ItemMemo = (item, compute) =>
        exact(item, () => {
          const known = bounds.get(item);
          if (known) {
            for (const text of known.missing) missing.push(text);
            missed.n++;
            return known.tokens;
          }
          const from = missing.length;
          const before = missed.n;
          const tokens = compute();
          if (missed.n !== before) bounds.set(item, { tokens, missing: missing.slice(from) });
          return tokens;
        });
      const inputTokens = countRequestTokens(provider, endpointKind(provider, endpoint), body, (text) => {
        const n = peek(text, encoding);
        if (n !== undefined) return n;
        missing.push(text);
        missed.n++;
        return Buffer.byteLength(text, 'utf8');
      }, model, memo);
      return { inputTokens, encoding, missing: [...new Set(missing)] };
    },
    cached: peek,
    warm(encoding) {
      if (options.countText) return;
      worker ??= createCountWorker();
      worker.warm(encoding);
    },
    canCount: (encoding) => options.countText !== undefined || (worker?.ready(encoding) ?? false),
    async countRequestAsync(provider, endpoint, model, body, budgetMs = asyncBudgetMs) {
      const encoding = encodingOf(model, body);
      const kind = endpointKind(provider, endpoint);
      // First walk: which texts are new. Second: the total, from the cache, bounding what was not counted.
      const missing: string[] = [];
      countRequestTokens(provider, kind, body, (text) => {
        if (cached(text, encoding) === undefined) missing.push(text);
        return 0;
      }, model, memoFor(encoding, walkOf(provider, endpoint, model, body), { n: 0 }, true)); // items counted before: skipped
      if (missing.length > 0) await countMisses(missing, encoding, budgetMs);
      let bounded = false;
      const missed = { n: 0 };
      const inputTokens = countRequestTokens(provider, kind, body, (text) => {
        const hit = peek(text, encoding);
        if (hit !== undefined) return hit;
        bounded = true;
        missed.n++;
        return Buffer.byteLength(text);
      }, model, memoFor(encoding, walkOf(provider, endpoint, model, body), missed));
      return bounded ? { inputTokens, encoding, bounded } : { inputTokens, encoding };
    },
    stats() {
      let entries = 0;
      for (const cache of caches.values()) entries += cache.size;
      return { hits, misses, entries };
    },
    close: () => worker?.close() ?? Promise.resolve(),
  };
}

/** Figures kept by item object, one map per encoding and API walk (at most 64 of them; all dropped past that). */
function byWalk<V>(): (encoding: TokenizerEncoding, walk: string) => WeakMap<object, V> {
  const maps = new Map<string, WeakMap<object, V>>();
  return (encoding, walk) => {
    const key = `${encoding}\u0000${walk}`;
    let map = maps.get(key);
    if (!map) {
      if (maps.size >= 64) maps.clear();
      maps.set(key, (map = new WeakMap()));
    }
    return map;
  };
}

/**
 * What an item's count depends on besides the item: the API's walk (Chat counts `name` and `tool_calls`, Messages
 * counts content blocks; the session file's index can hand one API's item to another) and the model (image rules).
 */
function walkOf(provider: Provider, endpoint: string, model: string | undefined, body: unknown): string {
  return `${provider}\u0000${endpointKind(provider, endpoint) ?? ''}\u0000${model ?? modelOf(body) ?? ''}`;
}

function modelOf(body: unknown): string | undefined {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : undefined;
}
