// A price for a model the data does not know yet (a launch newer than this release): the most expensive
// model of its family, so an unpriced model is never counted as free and an estimate stays an upper bound.
//
// The family is the model id with its snapshot suffix removed and each version number replaced by `#`:
// `gpt-6.2-sol` and `gpt-5.6-sol` are both `gpt-#-sol`; `claude-opus-6` and `claude-opus-4-1` are both
// `claude-opus-#`. When nothing shares the family, the models that share its first word (`gpt`, `claude`,
// `o#`) are used, and failing that every model of the provider.
import type { ModelPrice, PriceLibrary, PriceProvider } from './price-data.js';

export interface PriceGuess {
  /** The bundled model whose prices are used. */
  entry: string;
  prices: ModelPrice;
  /** How far the search had to widen: `family`, `prefix` (first word) or `provider`. */
  basis: 'family' | 'prefix' | 'provider';
}

// Snapshot suffixes: -2025-08-07, -20250807, -0613, -latest, @20250929 (Vertex-style).
const SNAPSHOT = /(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest))+$/;

/** `gpt-6.2-sol-2026-11-01` → `gpt-#-sol`. A provider prefix (`openai/`) is dropped. */
export function familyOf(model: string): string {
  const id = model.trim().toLowerCase().replace(/^.*\//, '').replace(SNAPSHOT, '');
  return id.replace(/\d+(?:[.-]\d+)*/g, '#');
}

function prefixOf(family: string): string {
  return family.split(/[-:.]/)[0];
}

// A typical agent turn below every long-context threshold, to rank models by what one turn costs.
const RANKING_USAGE = { input_tokens: 100_000, output_tokens: 10_000 };

interface Ranked {
  id: string;
  family: string;
  usd: number;
  prices: ModelPrice;
}

const rankings = new WeakMap<PriceProvider, Ranked[]>();

/** Every model of the provider with its current prices and the cost of the ranking usage, most expensive first. */
function ranked(lib: PriceLibrary, provider: PriceProvider): Ranked[] {
  let list = rankings.get(provider);
  if (list) return list;
  list = [];
  for (const model of provider.models) {
    // One model at a time through the library, so dated prices resolve exactly as for a priced request.
    const result = lib.calcPrice(RANKING_USAGE, model.id, { provider: { ...provider, models: [model] } });
    if (result && result.model.id === model.id) list.push({ id: model.id, family: familyOf(model.id), usd: result.total_price, prices: result.model_price });
  }
  list.sort((a, b) => b.usd - a.usd || a.id.localeCompare(b.id));
  rankings.set(provider, list);
  return list;
}

/** The guess for `model` among the provider's bundled models; undefined when the provider has none. */
export function guessPrice(lib: PriceLibrary, providerId: string, model: string): PriceGuess | undefined {
  const provider = lib.findProvider({ providerId });
  if (!provider) return undefined;
  const list = ranked(lib, provider);
  const family = familyOf(model);
  const prefix = prefixOf(family);
  const pick = (basis: PriceGuess['basis'], found: Ranked | undefined): PriceGuess | undefined =>
    found ? { entry: found.id, prices: found.prices, basis } : undefined;
  return (
    pick('family', list.find((m) => m.family === family)) ??
    pick('prefix', list.find((m) => prefixOf(m.family) === prefix)) ??
    pick('provider', list[0])
  );
}
