// The user's own prices (`cost.prices` in the policy): fine-tuned models, private deployments, models newer
// than this release. They win over the bundled data; the first glob that matches, in file order, is used.
import { compileGlob } from '../policy/glob.js';
import type { Provider } from '../providers.js';
import type { ModelPrice } from './price-data.js';

/** USD per million tokens, as written in the policy. */
export interface UserPriceRow {
  input: number;
  output: number;
  /** Cache reads; default: the input price (no discount). */
  cached_input?: number;
  /** Cache writes; default: the input price for OpenAI, 1.25x input for Anthropic (its 5-minute TTL price). */
  cache_write?: number;
}

export interface UserPrice {
  glob: string;
  prices: ModelPrice;
}

export interface UserPrices {
  /** The first entry whose glob matches the model (case-insensitive), else undefined. */
  find(provider: Provider, model: string): UserPrice | undefined;
}

/**
 * Compiles `cost.prices`. Anthropic's 1-hour cache writes are billed at 2x input (its pricing page), so an
 * Anthropic request also gets `cache_write_1h` at twice the given input price.
 */
export function compileUserPrices(rows: Readonly<Record<string, UserPriceRow>>): UserPrices {
  const entries = Object.entries(rows).map(([glob, row]) => ({ glob, row, regex: compileGlob(glob, { ignoreCase: true }) }));
  const cache = new Map<string, UserPrice | null>();
  return {
    find(provider, model) {
      const key = `${provider}\u0000${model}`;
      let found = cache.get(key);
      if (found === undefined) {
        const hit = entries.find((e) => e.regex.test(model));
        found = hit ? { glob: hit.glob, prices: toModelPrice(provider, hit.row) } : null;
        cache.set(key, found);
      }
      return found ?? undefined;
    },
  };
}

function toModelPrice(provider: Provider, row: UserPriceRow): ModelPrice {
  const prices: ModelPrice = { input_mtok: row.input, output_mtok: row.output };
  if (row.cached_input !== undefined) prices.cache_read_mtok = row.cached_input;
  const write = row.cache_write ?? (provider === 'anthropic' ? row.input * 1.25 : undefined);
  if (write !== undefined) prices.cache_write_mtok = write;
  if (provider === 'anthropic') prices.cache_write_1h_mtok = row.input * 2;
  return prices;
}
