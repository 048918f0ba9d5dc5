// Which offline tokenizer counts a model's text.

export type TokenizerEncoding = 'o200k_base' | 'cl100k_base';

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
