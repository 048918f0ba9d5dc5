// An agent's first moments, as a fresh process: it reads request bodies from a JSON file and sends them one
// after another with Node's fetch (what SDK-based agents use), timing each from the call to the end of the
// answer. Body 1 is the session's first request; each later one re-sends the context with one new message.
// Usage: node bench/first-call.js BODIES.json [REPEAT_LAST]   (OPENAI_BASE_URL, OPENAI_API_KEY from the
// environment; BENCH_HEADERS: extra headers as JSON). Prints one JSON line: { ms: [..], status: [..] }.
import { readFileSync } from 'node:fs';

const bodies = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (let i = 1; i < Number(process.argv[3] ?? 1); i++) bodies.push(bodies.at(-1));
const base = process.env.OPENAI_BASE_URL.replace(/\/$/, '');
const headers = { 'content-type': 'application/json', authorization: `Bearer ${process.env.OPENAI_API_KEY}`, ...JSON.parse(process.env.BENCH_HEADERS ?? '{}') };
const ms = [];
const status = [];
for (const body of bodies) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const start = performance.now();
  const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers, body: text });
  await res.arrayBuffer();
  ms.push(performance.now() - start);
  status.push(res.status);
}
process.stdout.write(`${JSON.stringify({ ms, status })}\n`);
