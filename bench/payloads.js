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
