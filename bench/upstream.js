// The bench's fake OpenAI upstream: canned ~1 KB chat completions, or a 50-event SSE stream with a set gap.
// Runs in its own process so it never competes with a target's event loop.
// Usage: node bench/upstream.js [--port 0] [--gap-ms 4] [--events 50]; prints {"port":N} on stdout when listening.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'gap-ms': { type: 'string', default: '4' },
    events: { type: 'string', default: '50' },
  },
});
const gapMs = Number(values['gap-ms']);
const eventCount = Number(values.events);

const CONTENT_WORDS = 'The proxy forwards the original request bytes unless a redaction changed them. ';
function completionBody() {
  const base = (content) =>
    JSON.stringify({
      id: 'chatcmpl-bench0001',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 512, completion_tokens: 150, total_tokens: 662 },
      system_fingerprint: 'fp_bench',
    });
  let content = '';
  while (Buffer.byteLength(base(content)) < 1024) content += CONTENT_WORDS;
  return Buffer.from(base(content)); // just over 1 KB, whole sentences
}
const COMPLETION = completionBody();
const NOT_FOUND = Buffer.from(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));

// Each event carries its send time (CLOCK_MONOTONIC, shared by all processes on the machine) so the client
// can tell how long every single event spent in the proxy.
function chunk(i) {
  const last = i === eventCount - 1;
  return `data: ${JSON.stringify({
    id: 'chatcmpl-bench0002',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: `fp_bench_${process.hrtime.bigint()}`,
    choices: [{ index: 0, delta: last ? {} : { content: `word${i} ` }, logprobs: null, finish_reason: last ? 'stop' : null }],
  })}\n\n`;
}

function isStream(body) {
  return body.includes('"stream":true') || body.includes('"stream": true');
}

// As the real API does: with `stream_options: {"include_usage": true}` (guardrun adds it to every chat stream), a
// last chunk with empty choices carries the usage, before [DONE].
function wantsUsage(body) {
  return /"include_usage"\s*:\s*true/.test(body);
}
const USAGE_CHUNK = `data: ${JSON.stringify({ id: 'chatcmpl-bench0002', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-mini-2024-07-18', system_fingerprint: 'fp_bench', choices: [], usage: { prompt_tokens: 512, completion_tokens: 50, total_tokens: 562 } })}\n\n`;

function sendStream(res, usage) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const startMs = performance.now();
  let i = 0;
  // Event i is due at start + i * gap (not gap after the previous one), so timer lateness does not add up.
  const tick = () => {
    if (res.destroyed) return;
    if (i < eventCount) {
      res.write(chunk(i++));
      setTimeout(tick, Math.max(0, startMs + i * gapMs - performance.now()));
    } else {
      res.end(`${usage ? USAGE_CHUNK : ''}data: [DONE]\n\n`);
    }
  };
  tick();
}

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (part) => parts.push(part));
  req.on('end', () => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const text = Buffer.concat(parts).toString('utf8');
      if (isStream(text)) return sendStream(res, wantsUsage(text));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': COMPLETION.length });
      return res.end(COMPLETION);
    }
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': NOT_FOUND.length });
    res.end(NOT_FOUND);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
