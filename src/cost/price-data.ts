// The bundled price data: @pydantic/genai-prices (dated provider prices with each provider's own model
// matching), loaded once, in the background, never on a request's path unless a request truly needs it.
//
// Its `dist/index.js` is ~830 KB: importing it costs ~25 ms of parsing on this kind of machine, so the CLI
// starts it after the proxy listens (while the child starts) and a request that needs a price before it is
// ready waits for that one load. Its update function (`updatePrices`, which fetches from GitHub) is never
// called: prices change only with a guardrun release that pins a newer version.
import type { ModelInfo, ModelPrice, PriceOptions, Provider as PriceProvider, Usage } from '@pydantic/genai-prices';

/** The pinned package and the date of its data (its npm publish date). Update both with the pin in package.json. */
export const PRICE_DATA = { package: '@pydantic/genai-prices', version: '0.1.8', date: '2026-09-23' } as const;

/** The one line `guardrun prices` and the docs show as the source of bundled prices. */
export const PRICE_DATA_SOURCE = `${PRICE_DATA.package} ${PRICE_DATA.version} (data of ${PRICE_DATA.date})`;

export type { ModelInfo, ModelPrice, PriceProvider, Usage as PriceUsage };

/** The parts of the library guardrun uses. */
export interface PriceLibrary {
  calcPrice(usage: Usage, modelId: string, options?: PriceOptions): { total_price: number; model: ModelInfo; model_price: ModelPrice; provider: PriceProvider } | null;
  findProvider(options: { providerId?: string }): PriceProvider | undefined;
}

let loaded: PriceLibrary | undefined;
let loading: Promise<PriceLibrary> | undefined;

/** Starts loading (once) and resolves with the library. Rejects only if the package is missing or broken. */
export function loadPriceData(): Promise<PriceLibrary> {
  loading ??= import('@pydantic/genai-prices').then((mod) => {
    loaded = { calcPrice: mod.calcPrice, findProvider: mod.findProvider };
    return loaded;
  });
  return loading;
}

/** The library if it has loaded, else undefined (the caller decides whether to wait for `loadPriceData()`). */
export function priceDataNow(): PriceLibrary | undefined {
  return loaded;
}

/** Starts the load on the next turn of the event loop, so it never delays what runs now. Errors surface at first use. */
export function preloadPriceData(): void {
  setImmediate(() => void loadPriceData().catch(() => undefined));
}
