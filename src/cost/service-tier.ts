// How a request's processing tier changes its price. The bundled data holds standard prices only; each
// tier is billed as a factor of them, from the providers' own pages (checked 2026-11-30):
//
// OpenAI (`service_tier` on the request; the answer's `service_tier` says what was used):
// - `flex`: "priced at Batch API rates", half of standard (platform.openai.com/docs/guides/flex-processing).
// - `batch`: half of standard (the Batch API).
// - `priority`, renamed `fast` on 2026-07-30: 1.7x to 2x standard by model (openai.com/api-fast-mode: e.g.
//   gpt-5.x 2x, gpt-4.1 1.75x, gpt-4o 1.7x). guardrun charges 2x, the upper end, so a budget errs safe.
// - `default`, `auto`, `scale` (capacity bought in advance): standard.
// Anthropic (`usage.service_tier`, `usage.speed`, `usage.inference_geo` on the answer):
// - `batch`: half of standard. `priority`: standard per-token prices (the capacity is a separate commitment).
// - `speed: "fast"`: 2x standard on the models that offer it now (Opus 5.5, Opus 5, Opus 4.8, Fable 5.2;
//   platform.claude.com/docs/en/build-with-claude/fast-mode).
// - `inference_geo: "us"`: 1.1x (US-only inference, Opus 4.6 and later; the data-residency page).
import type { Provider } from '../providers.js';

/** What the request asked for, or better, what the answer says it got. */
export interface BillingTier {
  /** OpenAI `service_tier` or Anthropic `usage.service_tier`, as sent or reported. */
  serviceTier?: string;
  /** Anthropic `speed`. */
  speed?: string;
  /** Anthropic `inference_geo`. */
  inferenceGeo?: string;
}

/** The factor over standard prices, and a short label when it is not 1 (e.g. `flex`, `fast, us`). */
export function tierFactor(provider: Provider, tier: BillingTier | undefined): { factor: number; label?: string } {
  if (!tier) return { factor: 1 };
  const parts: string[] = [];
  let factor = 1;
  const service = tier.serviceTier?.toLowerCase();
  if (service === 'flex' || service === 'batch') {
    factor *= 0.5;
    parts.push(service);
  } else if (provider === 'openai' && (service === 'priority' || service === 'fast')) {
    factor *= 2;
    parts.push(service);
  }
  if (provider === 'anthropic' && tier.speed?.toLowerCase() === 'fast') {
    factor *= 2;
    parts.push('fast');
  }
  if (provider === 'anthropic' && tier.inferenceGeo?.toLowerCase() === 'us') {
    factor *= 1.1;
    parts.push('us');
  }
  return parts.length === 0 ? { factor } : { factor, label: parts.join(', ') };
}

/** The tier a request body asks for (the answer's own report wins when it comes). */
export function requestedTier(provider: Provider, body: unknown): BillingTier | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const tier: BillingTier = {};
  if (typeof b.service_tier === 'string') tier.serviceTier = b.service_tier;
  if (provider === 'anthropic' && typeof b.speed === 'string') tier.speed = b.speed;
  if (provider === 'anthropic' && typeof b.inference_geo === 'string') tier.inferenceGeo = b.inference_geo;
  return Object.keys(tier).length > 0 ? tier : undefined;
}
