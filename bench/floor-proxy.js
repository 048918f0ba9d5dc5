// The floor: the least a Node proxy must do. Read the body, JSON.parse it, forward the original bytes
// through an undici Pool, stream the answer back. Usage: node bench/floor-proxy.js --upstream http://127.0.0.1:N
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' } } });
const pool = new Pool(values.upstream, { connections: 128, keepAliveTimeout: 60_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

function pick(headers, drop) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP.has(k) && k !== drop && v !== undefined) out[k] = v;
  return out;
}

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (part) => parts.push(part));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    try {
      if (body.length) JSON.parse(body.toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end('{"error":{"message":"bad json"}}');
    }
    pool.request({ method: req.method, path: req.url, headers: pick(req.headers, 'content-length'), body }, (err, up) => {
      if (err) {
        res.writeHead(502, { 'content-type': 'application/json' });
        return res.end('{"error":{"message":"upstream"}}');
      }
      res.writeHead(up.statusCode, pick(up.headers)); // keeps content-length: no chunked re-encoding
      up.body.on('error', () => res.destroy());
      res.on('close', () => up.body.destroy()); // the client left mid-stream
      up.body.pipe(res);
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
