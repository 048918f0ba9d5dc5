// Price lookup by model name (exact, alias, or dated snapshot of a known model) and the tokenizer per model.
import type { Provider } from '../providers.js';
import {
  ANTHROPIC_PRICES,
  LONG_CONTEXT_ABOVE_TOKENS,
  OPENAI_PRICES,
  PRICE_ALIASES,
  type PriceRow,
} from './price-table.js';

export { PRICES_AS_OF } from './price-table.js';

export type TokenizerEncoding = 'o200k_base' | 'cl100k_base';

/** USD per million tokens. Every rate is resolved: no caching discount means cached = input. */
export interface PriceRates {
  inputUsdPerMTok: number;
  cachedInputUsdPerMTok: number;
  cacheWriteUsdPerMTok: number;
  outputUsdPerMTok: number;
}

export interface Price extends PriceRates {
  /** The table entry that matched (`gpt-4o` for `gpt-4o-2024-08-06`). */
  model: string;
  provider: Provider;
  encoding: TokenizerEncoding;
  /** When a request's input exceeds `aboveInputTokens`, all of its tokens are billed at these rates. */
  longContext?: PriceRates & { aboveInputTokens: number };
}

// A snapshot suffix: -2024-08-06, -20250929, -0613, -latest; `@` for Vertex-style ids.
const SNAPSHOT = /^[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$/;

const table = buildTable();

/**
 * The price for a model id: exact (case-insensitive), then an alias, then the longest table entry
 * that the id extends by a snapshot suffix only. `gpt-4o-mini` never falls back to `gpt-4o`, and
 * `claude-opus-4-6` never to `claude-opus-4`: unknown versions stay unknown rather than mispriced.
 */
export function findPrice(model: string): Price | undefined {
  const id = model.trim().toLowerCase();
  const exact = table.get(id);
  if (exact) return exact;
  let best: Price | undefined;
  for (const [key, price] of table) {
    if (id.length > key.length && id.startsWith(key) && SNAPSHOT.test(id.slice(key.length))) {
      if (!best || key.length > best.model.length) best = price;
    }
  }
  return best;
}

/**
 * The tokenizer for a model. OpenAI: cl100k_base for gpt-4 / gpt-4-turbo / gpt-3.5 / embeddings,
 * o200k_base for gpt-4o and later (4.1, 4.5, 5.x, o-series, codex). Anthropic publishes no tokenizer:
 * o200k_base is an approximation there (Claude's counts tend to run somewhat higher).
 */
export function encodingForModel(model: string): TokenizerEncoding {
  const id = model.trim().toLowerCase();
  if (id.startsWith('gpt-3.5') || id.startsWith('text-embedding-')) return 'cl100k_base';
  if (id === 'gpt-4' || /^gpt-4-(?:\d{4}|32k|turbo|vision|1106|0125)/.test(id)) return 'cl100k_base';
  return 'o200k_base';
}

function buildTable(): Map<string, Price> {
  const out = new Map<string, Price>();
  const add = (provider: Provider, rows: Readonly<Record<string, PriceRow>>) => {
    for (const [model, row] of Object.entries(rows)) out.set(model, toPrice(provider, model, row));
  };
  add('openai', OPENAI_PRICES);
  add('anthropic', ANTHROPIC_PRICES);
  for (const [alias, target] of Object.entries(PRICE_ALIASES)) {
    const price = out.get(target);
    if (!price) throw new Error(`price alias ${alias} points at unknown model ${target}`);
    out.set(alias, { ...price, model: alias });
  }
  return out;
}

function toPrice(provider: Provider, model: string, row: PriceRow): Price {
  const [input, cached, output, cacheWrite] = row;
  const rates: PriceRates = {
    inputUsdPerMTok: input,
    cachedInputUsdPerMTok: cached ?? input,
    cacheWriteUsdPerMTok: cacheWrite ?? (provider === 'anthropic' ? input * 1.25 : input),
    outputUsdPerMTok: output,
  };
  const price: Price = { model, provider, encoding: encodingForModel(model), ...rates };
  const above = LONG_CONTEXT_ABOVE_TOKENS[model];
  if (above !== undefined) {
    price.longContext = {
      aboveInputTokens: above,
      inputUsdPerMTok: rates.inputUsdPerMTok * 2,
      cachedInputUsdPerMTok: rates.cachedInputUsdPerMTok * 2,
      cacheWriteUsdPerMTok: rates.cacheWriteUsdPerMTok * 2,
      outputUsdPerMTok: rates.outputUsdPerMTok * 1.5,
    };
  }
  return price;
}
