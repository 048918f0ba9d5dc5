// Reading untrusted JSON values (request bodies, stream events, recorded lines) without assumptions about shape.

export type JsonObject = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isObj(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON object `text` holds; undefined for anything else (an array, a scalar, `[DONE]`, invalid JSON). */
export function parseObject(text: string): JsonObject | undefined {
  if (text === '' || text === '[DONE]') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObj(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
