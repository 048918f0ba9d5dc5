// What an image in a request costs as input tokens, by each provider's documented rule, from the image's size
// as its header gives it (base64 images only: an image at a URL is not fetched). A data URI is never tokenized
// as text: that would count ~1.3 tokens a byte where the provider counts hundreds for the whole image.
//
// OpenAI ("Images and vision" guide, calculating costs), by model:
// - tiles: at detail "low", the base tokens; else the image is scaled to fit 2048x2048, then so its shorter side
//   is at most 768 px, and costs base + per-tile tokens for each 512 px tile covering it. gpt-4o, gpt-4.1,
//   gpt-4.5 and unknown models 85 + 170; gpt-4o-mini 2833 + 5667; o1, o3 75 + 150; gpt-5 70 + 140;
//   computer-use-preview 65 + 129;
// - patches (gpt-4.1-mini, gpt-4.1-nano, gpt-5-mini, gpt-5-nano, o4-mini, codex-mini): one patch per 32x32 px,
//   the image scaled down to fit 1536 patches, times a multiplier (1.62, 2.46, 1.62, 2.46, 1.72, 1.72).
// Anthropic (vision guide): width x height / 750 tokens, the image first scaled down so its long edge is at most
// 1568 px and it has at most ~1.15 megapixels (about 1,600 tokens at most).
// An image whose size cannot be read costs the most its rule allows (an upper bound, as estimates must be).
import { imageSize } from 'image-size';
import type { Provider } from '../providers.js';
import { base64PayloadStart } from '../secrets/opaque.js';

export interface ImageSize {
  width: number;
  height: number;
}

type Rule = { kind: 'tiles'; base: number; tile: number } | { kind: 'patches'; multiplier: number };

const TILES_DEFAULT: Rule = { kind: 'tiles', base: 85, tile: 170 };
const OPENAI_RULES: Array<[RegExp, Rule]> = [
  [/^gpt-4o-mini/, { kind: 'tiles', base: 2833, tile: 5667 }],
  [/^(?:gpt-4\.1-mini|gpt-5-mini)/, { kind: 'patches', multiplier: 1.62 }],
  [/^(?:gpt-4\.1-nano|gpt-5-nano)/, { kind: 'patches', multiplier: 2.46 }],
  [/^(?:o4-mini|codex-mini)/, { kind: 'patches', multiplier: 1.72 }],
  [/^(?:o1|o3)(?:-|$)/, { kind: 'tiles', base: 75, tile: 150 }],
  [/^gpt-5(?:-chat|-\d{4}|$)/, { kind: 'tiles', base: 70, tile: 140 }],
  [/^computer-use/, { kind: 'tiles', base: 65, tile: 129 }],
];
const MAX_PATCHES = 1536;
const ANTHROPIC_MAX_EDGE = 1568;
const ANTHROPIC_MAX_PIXELS = 1_150_000;
const ANTHROPIC_MAX_TOKENS = 1600;

/** Input tokens of one image for `model` of `provider`; `size` undefined when unknown (then the rule's maximum). */
export function imageTokens(provider: Provider, model: string | undefined, size: ImageSize | undefined, detail?: unknown): number {
  if (provider === 'anthropic') return anthropicTokens(size);
  const id = (model ?? '').toLowerCase();
  const rule = OPENAI_RULES.find(([re]) => re.test(id))?.[1] ?? TILES_DEFAULT;
  if (rule.kind === 'patches') return Math.ceil(patches(size) * rule.multiplier);
  if (detail === 'low') return rule.base;
  return rule.base + rule.tile * tiles(size);
}

function tiles(size: ImageSize | undefined): number {
  if (!size) return 8; // the most: 768 x 2048 after scaling, 2 x 4 tiles
  let { width: w, height: h } = size;
  if (w > 2048 || h > 2048) {
    const r = 2048 / Math.max(w, h);
    w *= r;
    h *= r;
  }
  if (Math.min(w, h) > 768) {
    const r = 768 / Math.min(w, h);
    w *= r;
    h *= r;
  }
  return Math.ceil(w / 512) * Math.ceil(h / 512);
}

function patches(size: ImageSize | undefined): number {
  if (!size) return MAX_PATCHES;
  const { width: w, height: h } = size;
  const n = Math.ceil(w / 32) * Math.ceil(h / 32);
  if (n <= MAX_PATCHES) return n;
  // Scaled down to fit, keeping the aspect ratio, then to a whole number of patches across.
  const r = Math.sqrt((32 * 32 * MAX_PATCHES) / (w * h));
  const across = Math.floor((w * r) / 32);
  const scaled = across / ((w * r) / 32);
  return Math.min(MAX_PATCHES, across * Math.ceil((h * r * scaled) / 32));
}

function anthropicTokens(size: ImageSize | undefined): number {
  if (!size) return ANTHROPIC_MAX_TOKENS;
  let { width: w, height: h } = size;
  const edge = ANTHROPIC_MAX_EDGE / Math.max(w, h);
  if (edge < 1) {
    w *= edge;
    h *= edge;
  }
  if (w * h > ANTHROPIC_MAX_PIXELS) {
    const r = Math.sqrt(ANTHROPIC_MAX_PIXELS / (w * h));
    w *= r;
    h *= r;
  }
  return Math.min(ANTHROPIC_MAX_TOKENS, Math.ceil((w * h) / 750));
}

// The header holds the size in the first bytes for PNG, GIF and WebP; a JPEG's can follow its metadata.
const FIRST_CHARS = 4096;
const MOST_CHARS = 1024 * 1024;

/**
 * The width and height of a base64 image (a `data:` URI or bare base64), read from its header by decoding only
 * its first bytes (the library `image-size`); undefined when it is not base64 or its size cannot be read.
 */
export function base64ImageSize(value: unknown): ImageSize | undefined {
  if (typeof value !== 'string') return undefined;
  const start = base64PayloadStart(value, 'data');
  if (start === -1) return undefined;
  for (let chars = FIRST_CHARS; ; chars *= 16) {
    const end = Math.min(value.length, start + chars - (chars % 4));
    try {
      const size = imageSize(Buffer.from(value.slice(start, end), 'base64'));
      if (size.width > 0 && size.height > 0) return { width: size.width, height: size.height };
      return undefined;
    } catch {
      if (end === value.length || chars >= MOST_CHARS) return undefined;
    }
  }
}
