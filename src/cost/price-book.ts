// The price in force for a model, and what a usage costs under it. In order: the user's own prices
// (`cost.prices`), the bundled data (@pydantic/genai-prices, matched by the provider's own rules), a guess
// (the most expensive model of the family, see price-guess.ts). All arithmetic is the library's `calcPrice`, read
// once per model into per-token rates when its prices are flat (linear-price.ts).
import type { Provider } from '../providers.js';
import { priceUsage, type ExtractedUsage } from './cost.js';
import { linearPrice, type LinearPrice } from './linear-price.js';
import { loadPriceData, priceDataNow, PRICE_DATA_SOURCE, type ModelPrice, type PriceLibrary, type PriceProvider } from './price-data.js';
import { guessPrice, type PriceGuess } from './price-guess.js';
import { tierFactor, type BillingTier } from './service-tier.js';
import { compileUserPrices, type UserPriceRow } from './user-prices.js';

export interface PriceQuote {
  provider: Provider;
  /** The model as the request named it. */
  model: string;
  /** The price entry used: the bundled model id, the policy glob, or the model a guess took its prices from. */
  entry: string;
  source: 'policy' | 'bundled' | 'guess';
  /** For people: `cost.prices["ft:*"] (guardrun.yaml)`, `@pydantic/genai-prices 0.1.8 (data of 2026-09-23)`. */
  sourceText: string;
  /** For a guess: how far the search widened (same family, same first word, whole provider). */
  guessBasis?: PriceGuess['basis'];
  /** USD per million tokens (`*_mtok`) or per thousand calls (`*_kcount`), in the library's price keys. */
  prices: ModelPrice;
}

export interface Priced {
  usd: number;
  /** The tier's factor over standard prices (1 for standard). */
  factor: number;
  /** e.g. `flex`, `fast, us`; absent for standard. */
  tierLabel?: string;
}

export interface PriceBook {
  /** True once the bundled data is loaded: `quote` and `cost` answer without waiting. */
  readonly ready: boolean;
  /** Resolves once the bundled data is loaded; rejects if it cannot be (the package is missing or broken). */
  whenReady(): Promise<void>;
  /** The price for a model. Only after `whenReady()`: throws while the data is loading. Undefined: no guess was possible. */
  quote(provider: Provider, model: string): PriceQuote | undefined;
  /** USD for `usage` under `quote`, at the tier the answer reports (else the one requested). */
  cost(quote: PriceQuote, usage: ExtractedUsage, tier?: BillingTier): Priced;
}

export interface PriceBookOptions {
  /** `cost.prices` of the policy. */
  prices?: Readonly<Record<string, UserPriceRow>>;
  /** Where the policy came from, to name it in `sourceText`. */
  policySource?: string;
}

export function createPriceBook(options: PriceBookOptions = {}): PriceBook {
  const user = compileUserPrices(options.prices ?? {});
  const quotes = new Map<string, PriceQuote | null>();
  const providers = new WeakMap<PriceQuote, PriceProvider>();
  const linear = new WeakMap<PriceQuote, LinearPrice | null>();
  const where = options.policySource ? ` in ${options.policySource}` : '';
  const lib = (): PriceLibrary => {
    const loaded = priceDataNow();
    if (!loaded) throw new Error('the price data is still loading (await whenReady() first)');
    return loaded;
  };

  function resolve(provider: Provider, model: string): PriceQuote | undefined {
    const own = user.find(provider, model);
    if (own) return { provider, model, entry: own.glob, source: 'policy', sourceText: `cost.prices[${JSON.stringify(own.glob)}]${where}`, prices: own.prices };
    const data = lib();
    // The route's provider first; then the library's own model matching (a gateway may serve Claude over the OpenAI API).
    const found = data.calcPrice({}, model, { providerId: provider }) ?? data.calcPrice({}, model);
    if (found) {
      const other = found.provider.id === provider ? '' : `, provider ${found.provider.id}`;
      return { provider, model, entry: found.model.id, source: 'bundled', sourceText: `${PRICE_DATA_SOURCE}${other}`, prices: found.model_price };
    }
    const guess = guessPrice(data, provider, model);
    if (!guess) return undefined;
    return { provider, model, entry: guess.entry, source: 'guess', guessBasis: guess.basis, sourceText: `guessed: priced as ${guess.entry}, the most expensive ${guessWords(guess.basis)} in ${PRICE_DATA_SOURCE}`, prices: guess.prices };
  }

  return {
    get ready() {
      return priceDataNow() !== undefined;
    },
    async whenReady() {
      await loadPriceData();
    },
    quote(provider, model) {
      const key = `${provider}\u0000${model}`;
      let quote = quotes.get(key);
      if (quote === undefined) {
        quote = resolve(provider, model) ?? null;
        quotes.set(key, quote);
      }
      return quote ?? undefined;
    },
    cost(quote, usage, tier) {
      let single = providers.get(quote);
      if (!single) {
        // One model, matched by its entry name: the library prices exactly these prices.
        single = { id: `guardrun-${quote.source}`, name: quote.sourceText, api_pattern: '.*', models: [{ id: quote.entry, match: { equals: quote.entry }, prices: quote.prices }] };
        providers.set(quote, single);
      }
      const provider = single;
      const calc = (u: ReturnType<typeof priceUsage>): number => {
        const result = lib().calcPrice(u, quote.entry, { provider });
        if (!result) throw new Error(`no price for ${quote.entry}`);
        return result.total_price;
      };
      let rates = linear.get(quote);
      if (rates === undefined) {
        rates = linearPrice(quote.prices, calc) ?? null;
        linear.set(quote, rates);
      }
      const counts = priceUsage(usage);
      const total = rates ? rates(counts) : calc(counts);
      const { factor, label } = tierFactor(quote.provider, tier);
      return label ? { usd: total * factor, factor, tierLabel: label } : { usd: total, factor };
    },
  };
}

function guessWords(basis: PriceGuess['basis']): string {
  if (basis === 'family') return 'model of its family';
  if (basis === 'prefix') return 'model with its name prefix';
  return "of the provider's models";
}
