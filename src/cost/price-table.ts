// The bundled price table: USD per million tokens, standard (non-batch, non-priority) tier, offline.
//
// Source: the providers' public pricing pages (openai.com/api/pricing, anthropic.com/pricing#api) as
// collected in pydantic/genai-prices (prices/providers/{openai,anthropic}.yml at commit 47df840, 2026-08-21;
// per-model `prices_checked` dates run from 2025-07-04 to 2026-08-02), cross-checked against the author's
// own knowledge of those pages. Where a price changed on a date, the price in force after 2026-09-01 is used.
// One deliberate difference: gpt-4o-2024-05-13 is listed by OpenAI at $5/$15, not at gpt-4o's price.
// Update: edit the rows and PRICES_AS_OF together; nothing here is fetched at run time.

export const PRICES_AS_OF = '2026-08-21';

/**
 * [input, cached input (null: no discount), output, cache write (omitted: provider default)].
 * Provider defaults for cache writes: OpenAI charges the input price, Anthropic 1.25x input (5-minute TTL).
 */
export type PriceRow = readonly [input: number, cachedInput: number | null, output: number, cacheWrite?: number];

export const OPENAI_PRICES: Readonly<Record<string, PriceRow>> = {
  // GPT-5.6 family: cache writes are billed at 1.25x input.
  'gpt-5.6-sol': [5, 0.5, 30, 6.25],
  'gpt-5.6-terra': [2, 0.2, 12, 2.5],
  'gpt-5.6-luna': [0.2, 0.02, 1.2, 0.25],
  'gpt-5.5': [5, 0.5, 30],
  'gpt-5.5-pro': [30, null, 180],
  'gpt-5.4': [2.5, 0.25, 15],
  'gpt-5.4-pro': [30, null, 180],
  'gpt-5.4-mini': [0.75, 0.075, 4.5],
  'gpt-5.4-nano': [0.2, 0.02, 1.25],
  'gpt-5.3-chat-latest': [1.75, 0.175, 14],
  'gpt-5.3-codex': [1.75, 0.175, 14],
  'gpt-5.2': [1.75, 0.175, 14],
  'gpt-5.2-pro': [21, null, 168],
  'gpt-5.1': [1.25, 0.125, 10],
  'gpt-5.1-codex-mini': [0.25, 0.025, 2],
  'gpt-5': [1.25, 0.125, 10],
  'gpt-5-mini': [0.25, 0.025, 2],
  'gpt-5-nano': [0.05, 0.005, 0.4],
  'gpt-5-pro': [15, null, 120],
  'gpt-chat-latest': [5, 0.5, 30],
  'gpt-4.5-preview': [75, 37.5, 150],
  'gpt-4.1': [2, 0.5, 8],
  'gpt-4.1-mini': [0.4, 0.1, 1.6],
  'gpt-4.1-nano': [0.1, 0.025, 0.4],
  'gpt-4o': [2.5, 1.25, 10],
  'gpt-4o-2024-05-13': [5, null, 15],
  'gpt-4o-mini': [0.15, 0.075, 0.6],
  'gpt-4o-search-preview': [2.5, null, 10],
  'gpt-4o-mini-search-preview': [0.15, 0.075, 0.6],
  'chatgpt-4o-latest': [5, null, 15],
  'gpt-4-turbo': [10, null, 30],
  'gpt-4': [30, null, 60],
  'gpt-4-32k': [60, null, 120],
  'gpt-3.5-turbo': [0.5, null, 1.5],
  'gpt-3.5-turbo-0301': [1.5, null, 2],
  'gpt-3.5-turbo-0613': [1.5, null, 2],
  'gpt-3.5-turbo-1106': [1, null, 2],
  'gpt-3.5-turbo-16k': [3, null, 4],
  'gpt-3.5-turbo-instruct': [1.5, null, 2],
  o1: [15, 7.5, 60],
  'o1-mini': [1.1, 0.55, 4.4],
  'o1-pro': [150, null, 600],
  o3: [2, 0.5, 8],
  'o3-mini': [1.1, 0.55, 4.4],
  'o3-pro': [20, null, 80],
  'o3-deep-research': [10, 2.5, 40],
  'o4-mini': [1.1, 0.275, 4.4],
  'o4-mini-deep-research': [2, 0.5, 8],
  'codex-mini-latest': [1.5, 0.375, 6],
  'computer-use-preview': [3, null, 12],
  'text-embedding-3-small': [0.02, null, 0],
  'text-embedding-3-large': [0.13, null, 0],
  'text-embedding-ada-002': [0.1, null, 0],
};

export const ANTHROPIC_PRICES: Readonly<Record<string, PriceRow>> = {
  'claude-fable-5': [10, 1, 50],
  'claude-opus-5': [5, 0.5, 25],
  'claude-sonnet-5': [3, 0.3, 15],
  'claude-opus-4-8': [5, 0.5, 25],
  'claude-opus-4-7': [5, 0.5, 25],
  'claude-opus-4-6': [5, 0.5, 25],
  'claude-sonnet-4-6': [3, 0.3, 15],
  'claude-opus-4-5': [5, 0.5, 25],
  'claude-sonnet-4-5': [3, 0.3, 15],
  'claude-haiku-4-5': [1, 0.1, 5],
  'claude-opus-4-1': [15, 1.5, 75],
  'claude-opus-4': [15, 1.5, 75],
  'claude-sonnet-4': [3, 0.3, 15],
  'claude-3-7-sonnet': [3, 0.3, 15],
  'claude-3-5-sonnet': [3, 0.3, 15],
  'claude-3-5-haiku': [0.8, 0.08, 4, 1],
  'claude-3-haiku': [0.25, 0.03, 1.25, 0.3],
  'claude-3-opus': [15, 1.5, 75],
};

/** Other names for the same price (API aliases and variants priced like their base model). */
export const PRICE_ALIASES: Readonly<Record<string, string>> = {
  'gpt-5.6': 'gpt-5.6-sol',
  'gpt-5.5-chat-latest': 'gpt-5.5',
  'gpt-5.5-codex': 'gpt-5.5',
  'gpt-5.3': 'gpt-5.3-chat-latest',
  'gpt-5.3-chat': 'gpt-5.3-chat-latest',
  'gpt-5.2-chat-latest': 'gpt-5.2',
  'gpt-5.2-codex': 'gpt-5.2',
  'gpt-5.1-chat-latest': 'gpt-5.1',
  'gpt-5.1-codex': 'gpt-5.1',
  'gpt-5.1-codex-max': 'gpt-5.1',
  'gpt-5-chat-latest': 'gpt-5',
  'gpt-5-codex': 'gpt-5',
  'gpt-4-turbo-preview': 'gpt-4-turbo',
  'gpt-4-1106-preview': 'gpt-4-turbo',
  'gpt-4-0125-preview': 'gpt-4-turbo',
  'gpt-4-vision-preview': 'gpt-4-turbo',
  'gpt-4-1106-vision-preview': 'gpt-4-turbo',
  'o1-preview': 'o1',
  'claude-opus-4-0': 'claude-opus-4',
  'claude-sonnet-4-0': 'claude-sonnet-4',
};

/**
 * Models whose whole request is billed at 2x the input-side rates and 1.5x the output rate once its
 * input exceeds the threshold (every tiered model in the source follows exactly that ratio).
 * Claude Sonnet 4 is here from its 1M-context announcement (Aug 2025); the source lists it flat.
 */
export const LONG_CONTEXT_ABOVE_TOKENS: Readonly<Record<string, number>> = {
  'gpt-5.6-sol': 272_000,
  'gpt-5.6-terra': 272_000,
  'gpt-5.6-luna': 272_000,
  'gpt-5.4': 272_000,
  'gpt-5.4-pro': 272_000,
  'claude-sonnet-4-5': 200_000,
  'claude-sonnet-4': 200_000,
};
