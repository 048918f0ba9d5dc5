// Request bodies for the bench: seeded, word-like text (so the tokenizer does realistic work, and no
// two messages are alike), chat bodies of a set size, and a conversation that grows turn by turn.

export const MODEL = 'gpt-4o-mini';

// mulberry32: small, seeded, good enough for filler text.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['the', 'con', 'fig', 'ur', 'a', 'tion', 'file', 'read', 'er', 'pro', 'cess', 'in', 'put', 'out',
  'func', 'val', 'ue', 'test', 'ing', 're', 'quest', 'han', 'dle', 'serv', 'log', 'path', 'mod', 'ule', 'de', 'bug',
  'build', 'type', 'script', 'ex', 'port', 'im', 'load', 'run', 'time', 'er', 'ror', 'check', 'list', 'map', 'set'];
const PUNCT = [' ', ' ', ' ', ' ', ' ', ' ', ', ', '. ', ' ', '\n'];

/** `bytes` characters of ASCII, word-like text; the same seed gives the same text. */
export function text(bytes, seed) {
  const next = rng(seed);
  const pick = (list) => list[Math.floor(next() * list.length)];
  let out = '';
  while (out.length < bytes) {
    const syllables = 1 + Math.floor(next() * 3);
    for (let i = 0; i < syllables; i++) out += pick(SYLLABLES);
    out += pick(PUNCT);
  }
  return out.slice(0, bytes);
}

/** A chat completion request of about `bytes` bytes: a system prompt and user/assistant turns of ~4 KB. */
export function chatBody(bytes, { stream = false, seed = 1 } = {}) {
  const messages = [{ role: 'system', content: text(200, seed) }];
  const shell = (msgs) => JSON.stringify({ model: MODEL, messages: msgs, ...(stream ? { stream: true } : {}) });
  let turn = 0;
  for (;;) {
    const room = bytes - Buffer.byteLength(shell(messages)) - 40; // 40: a message's own JSON
    if (room <= 0) break;
    const role = turn % 2 === 0 ? 'user' : 'assistant';
    messages.push({ role, content: text(Math.min(room, 4096), seed * 1000 + ++turn) });
  }
  return Buffer.from(shell(messages));
}

/**
 * A conversation of `turns` turns (user ~3.3 KB, assistant ~0.7 KB) that reaches ~200 KB at turn 50.
 * `bodyAt(k)` is the request an agent sends at turn k (1-based): everything so far plus the new user turn.
 */
export function conversation(seed, { userBytes = 3300, assistantBytes = 700 } = {}) {
  const system = { role: 'system', content: `You are a coding agent. ${text(400, seed)}` };
  const user = (k) => ({ role: 'user', content: text(userBytes, seed * 10_000 + 2 * k) });
  const assistant = (k) => ({ role: 'assistant', content: text(assistantBytes, seed * 10_000 + 2 * k + 1) });
  return {
    bodyAt(k) {
      const messages = [system];
      for (let i = 1; i < k; i++) messages.push(user(i), assistant(i));
      messages.push(user(k));
      return Buffer.from(JSON.stringify({ model: MODEL, messages }));
    },
  };
}

/**
 * A coding agent's first request: a long system prompt, a tool list (JSON schemas with descriptions) and one
 * user message, about `bytes` bytes in all (a third prompt, two thirds tools).
 */
export function agentContext(bytes, { seed = 7, model = 'gpt-4.1' } = {}) {
  const system = { role: 'system', content: text(Math.floor(bytes / 3), seed) };
  const tools = [];
  for (let i = 0; JSON.stringify(tools).length < (bytes * 2) / 3 - 2500; i++) {
    tools.push({
      type: 'function',
      function: {
        name: `tool_${i}`,
        description: text(1200, seed * 100 + i),
        parameters: { type: 'object', properties: { path: { type: 'string', description: text(300, seed * 1000 + i) }, recursive: { type: 'boolean' } }, required: ['path'] },
      },
    });
  }
  const messages = [system, { role: 'user', content: text(2000, seed + 1) }];
  return { model, messages, tools };
}

/** `context` followed by `turns` more requests, each adding an assistant answer and a new user message. */
export function repeatedContext(context, turns, { seed = 9, userBytes = 1500, assistantBytes = 500 } = {}) {
  const bodies = [context];
  let messages = context.messages;
  for (let k = 1; k <= turns; k++) {
    messages = [...messages, { role: 'assistant', content: text(assistantBytes, seed * 1000 + 2 * k) }, { role: 'user', content: text(userBytes, seed * 1000 + 2 * k + 1) }];
    bodies.push({ ...context, messages });
  }
  return bodies;
}

/**
 * A chat request carrying one PNG of about `bytes` bytes as a base64 data URI (a valid PNG signature and
 * IHDR of `width` x `height`, then seeded filler: the upstream does not decode it).
 */
export function imageBody(bytes, { width = 4000, height = 3000, model = 'gpt-4.1', seed = 11 } = {}) {
  const raw = Buffer.alloc(Math.floor((bytes * 3) / 4));
  const next = rng(seed);
  for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(Math.floor(next() * 0x100000000), Math.min(i, raw.length - 4));
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(raw, 0);
  raw.writeUInt32BE(width, 16);
  raw.writeUInt32BE(height, 20);
  const url = `data:image/png;base64,${raw.toString('base64')}`;
  return { model, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url } }] }] };
}
