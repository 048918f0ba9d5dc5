// The transparency bench's upstream: serves the recorded-shape streams of fixtures/streams byte for byte, one
// event every --gap-ms, the file named by the request's `x-answer` header. `x-bench-t0-ns` carries the
// monotonic time (process.hrtime, shared by the machine's processes) the first event is written at, so a
// client knows when each event left: event i at t0 + i × gap.
// Usage: node bench/fixture-upstream.js [--gap-ms 20]; prints {"port":N} when listening.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'gap-ms': { type: 'string', default: '20' } } });
const gapMs = Number(values['gap-ms']);
const DIR = fileURLToPath(new URL('../fixtures/streams/', import.meta.url));

/** A fixture's events, each with its blank line (the files end lines with LF). */
function fixtureEvents(name) {
  const text = readFileSync(join(DIR, name), 'utf8');
  return text.split(/(?<=\n\n)/).filter((e) => e !== '');
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    let events;
    try {
      events = fixtureEvents(String(req.headers['x-answer'] ?? '').replace(/[^\w.-]/g, ''));
    } catch {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end('{"error":{"message":"no such fixture","type":"invalid_request_error","param":null,"code":null}}');
    }
    const t0 = process.hrtime.bigint();
    const startMs = performance.now();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-bench-t0-ns': String(t0) });
    let i = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (i < events.length) {
        res.write(events[i++]);
        setTimeout(tick, Math.max(0, startMs + i * gapMs - performance.now()));
      } else res.end();
    };
    tick();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => process.exit(0));
