// Offline input-token estimates with a per-text cache, so a growing conversation only tokenizes what is new.
//
// Each message's text, each tool-call argument and each tool definition is counted on its own and
// cached under the text itself (a sha1 of it past 1M characters, to bound what the cache keeps).
// A string key costs a map lookup (~0.01 ms for 200 KB, measured) where hashing would cost ~0.26 ms.
//
// On the proxy's path nothing here tokenizes on the event loop: `boundRequest` takes the texts not counted yet at
// their UTF-8 size (a token is at least one byte), and `prepare` has the token worker (token-worker.ts) count
// them. The synchronous `countRequest` tokenizes on the calling thread, for offline use (replay --policy).
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
import type { TokenWorker } from './token-worker.js';

export interface TokenCount {
  inputTokens: number;
  encoding: TokenizerEncoding;
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
  /** Estimated input tokens of a request body (already parsed JSON). Unknown endpoints count 0. Tokenizes on this thread. */
  countRequest(provider: Provider, endpoint: string, model: string | undefined, body: unknown): TokenCount;
  /**
   * `countRequest`'s figure without tokenizing: texts counted before at their count, the others at their UTF-8 size.
   * Never below `countRequest` (a token is at least one byte); equal to it when `missing` is empty.
   */
  boundRequest(provider: Provider, endpoint: string, model: string | undefined, body: unknown): TokenBound;
  /**
   * Counts the `texts` not in the cache yet, off the event loop (the token worker; on this thread without one),
   * within `deadlineMs`. True when every one of them is in the cache afterwards. Never rejects.
   */
  prepare(texts: readonly string[], encoding: TokenizerEncoding, deadlineMs: number): Promise<boolean>;
  /** The count of `text` if it is in the cache. */
  cached(text: string, encoding: TokenizerEncoding): number | undefined;
  /** True when `prepare` counts without first loading `encoding` (the worker has it, or counting is on this thread). */
  canCount(encoding: TokenizerEncoding): boolean;
  /** Tokens in one text, through the cache. */
  countText(text: string, encoding: TokenizerEncoding): number;
  /** True when counting in `encoding` costs no tokenizer load (never load ~450 ms of ranks at the end of an answer). */
  isReady(encoding: TokenizerEncoding): boolean;
  stats(): TokenCounterStats;
}

export interface TokenCounterOptions {
  /** Per encoding. Default 10,000. */
  maxEntries?: number;
  /** Total characters of cache keys kept, per encoding. Default 8,000,000. */
  maxKeyChars?: number;
  /** The uncached tokenizer (tests pass a spy). Default: gpt-tokenizer, loaded on first use. */
  countText?: (text: string, encoding: TokenizerEncoding) => number;
  /** Where `prepare` counts; without one it counts on this thread with `countText`. */
  worker?: TokenWorker;
}

// Longer texts are cached under a sha1 of them (a long key costs a compare on every hit, and its length of cache room).
const DIRECT_KEY_MAX_CHARS = 1_000_000;

export function createTokenCounter(options: TokenCounterOptions = {}): TokenCounter {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxKeyChars = options.maxKeyChars ?? 32_000_000;
  const tokenize = options.countText ?? countTextTokens;
  const caches = new Map<TokenizerEncoding, Lru<number>>();
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
  // Exact counts of list items (messages, tools) by object: an item a request re-sends is the earlier request's own
  // object again when the session file's index matched it (recording/parts-index.ts), so it costs a lookup, not a walk.
  const itemCounts = new Map<string, WeakMap<object, number>>();
  const memoFor = (encoding: TokenizerEncoding, model: string | undefined, missed?: { n: number }): ItemMemo => {
    const key = `${encoding}\u0000${model ?? ''}`;
    let counts = itemCounts.get(key);
    if (!counts) {
      if (itemCounts.size >= 64) itemCounts.clear();
      itemCounts.set(key, (counts = new WeakMap()));
    }
    const known = counts;
    return (item, compute) => {
      const found = known.get(item);
      if (found !== undefined) return found;
      const before = missed?.n ?? 0;
      const n = compute();
      if ((missed?.n ?? 0) === before) known.set(item, n); // exact: every text in it was counted
      return n;
    };
  };
  const keyOf = (text: string): string => (text.length <= DIRECT_KEY_MAX_CHARS ? text : `\u0000sha1:${text.length}:${hash('sha1', text, 'base64')}`);
  const cached = (text: string, encoding: TokenizerEncoding): number | undefined => (text.length === 0 ? 0 : cacheOf(encoding).get(keyOf(text)));

  function countText(text: string, encoding: TokenizerEncoding): number {
    if (text.length === 0) return 0;
    const cache = cacheOf(encoding);
    const key = keyOf(text);
    const found = cache.get(key);
    if (found !== undefined) {
      hits++;
      return found;
    }
    misses++;
    const tokens = tokenize(text, encoding);
    cache.set(key, tokens);
    return tokens;
  }

  return {
    countText,
    cached,
    canCount: (encoding) => (options.worker ? options.worker.ready(encoding) : options.countText !== undefined || isEncodingLoaded(encoding)),
    isReady: (encoding) => options.countText !== undefined || isEncodingLoaded(encoding),
    countRequest(provider, endpoint, model, body) {
      const encoding = encodingForModel(model ?? modelOf(body) ?? '');
      const kind = endpointKind(provider, endpoint);
      const inputTokens = countRequestTokens(provider, kind, body, (text) => countText(text, encoding), model, memoFor(encoding, model ?? modelOf(body)));
      return { inputTokens, encoding };
    },
    boundRequest(provider, endpoint, model, body) {
      const encoding = encodingForModel(model ?? modelOf(body) ?? '');
      const missing = new Set<string>();
      const missed = { n: 0 };
      const inputTokens = countRequestTokens(provider, endpointKind(provider, endpoint), body, (text) => {
        const n = cached(text, encoding);
        if (n !== undefined) return n;
        missing.add(text);
        missed.n++;
        return Buffer.byteLength(text, 'utf8');
      }, model, memoFor(encoding, model ?? modelOf(body), missed));
      return { inputTokens, encoding, missing: [...missing] };
    },
    async prepare(texts, encoding, deadlineMs) {
      const todo = [...new Set(texts.filter((t) => cached(t, encoding) === undefined))];
      if (todo.length === 0) return true;
      let counts: number[] | undefined;
      if (options.worker) counts = await options.worker.count(todo, encoding, deadlineMs);
      else counts = todo.map((t) => tokenize(t, encoding));
      if (!counts || counts.length !== todo.length) return false;
      const cache = cacheOf(encoding);
      todo.forEach((t, i) => cache.set(keyOf(t), counts[i]));
      misses += todo.length;
      return true;
    },
    stats() {
      let entries = 0;
      for (const cache of caches.values()) entries += cache.size;
      return { hits, misses, entries };
    },
  };
}

function modelOf(body: unknown): string | undefined {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : undefined;
}
