// The three kinds of measurement, each bounded by time or count:
// - latencyC1: one keep-alive connection, one request at a time, timed with process.hrtime (sub-ms);
// - load: autocannon at N connections for a fixed duration (req/s), with each response's fractional
//   latency taken from its 'response' event (its own histogram rounds to whole ms);
// - streams: SSE requests one at a time, time to first byte, total time, and each event's delay from
//   the moment the upstream wrote it (the upstream stamps a monotonic time into every event).
import autocannon from 'autocannon';
import { Client } from 'undici';
import { percentile, median } from './stats.js';

const nowNs = () => process.hrtime.bigint();
const msSince = (startNs, endNs = nowNs()) => Number(endNs - startNs) / 1e6;

/** One POST of `body` to the target's chat path, as every measurement sends it. */
export function requestOptions(target, body) {
  return {
    method: 'POST',
    path: target.path,
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  };
}

/** Sequential requests on one connection for `durationMs` (at most `maxRequests`), after `warmup` unrecorded ones. */
export async function latencyC1(target, body, { durationMs, maxRequests = 100_000, warmup = 20 }) {
  const client = new Client(target.origin, { keepAliveTimeout: 60_000, pipelining: 1 });
  const samples = [];
  let errors = 0;
  try {
    const options = requestOptions(target, body);
    const deadline = Date.now() + durationMs;
    for (let i = 0; samples.length < maxRequests && (i < warmup || Date.now() < deadline); i++) {
      const start = nowNs();
      const res = await client.request(options);
      await res.body.arrayBuffer();
      const ms = msSince(start);
      if (res.statusCode !== 200) errors++;
      else if (i >= warmup) samples.push(ms);
    }
  } finally {
    await client.close();
  }
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), errors };
}

/** autocannon for `durationS` seconds at `connections` connections. */
export async function load(target, body, { durationS, connections }) {
  const latencies = [];
  const instance = autocannon({
    url: `${target.origin}${target.path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
    connections,
    pipelining: 1,
    duration: durationS,
    timeout: 30,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode === 200) latencies.push(responseTimeMs);
  });
  const result = await instance;
  const seconds = (Date.parse(result.finish) - Date.parse(result.start)) / 1000 || durationS;
  return {
    requests: result['2xx'],
    rps: result['2xx'] / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Parses SSE text into complete events; returns the events and the unfinished rest. */
function splitEvents(buffered) {
  const events = buffered.split(/\r?\n\r?\n/);
  const rest = events.pop();
  return { events, rest };
}

/** `count` streaming requests one after another on one connection. */
export async function streams(target, body, { count }) {
  const client = new Client(target.origin, { keepAliveTimeout: 60_000, pipelining: 1 });
  const runs = [];
  let errors = 0;
  try {
    for (let i = 0; i < count; i++) {
      const start = nowNs();
      const res = await client.request(requestOptions(target, body));
      if (res.statusCode !== 200) {
        errors++;
        await res.body.dump();
        continue;
      }
      let firstNs = null;
      let buffered = '';
      let events = 0;
      let done = false;
      const delays = [];
      const decoder = new TextDecoder();
      for await (const part of res.body) {
        const arrivedNs = nowNs();
        firstNs ??= arrivedNs;
        const split = splitEvents(buffered + decoder.decode(part, { stream: true }));
        buffered = split.rest;
        for (const event of split.events) {
          if (/^data: \[DONE\]/m.test(event)) done = true;
          const stamp = /fp_bench_(\d+)/.exec(event);
          if (!stamp) continue;
          events++;
          delays.push(Number(arrivedNs - BigInt(stamp[1])) / 1e6);
        }
      }
      if (!done) errors++;
      runs.push({ ttfbMs: msSince(start, firstNs ?? nowNs()), totalMs: msSince(start), events, delays });
    }
  } finally {
    await client.close();
  }
  return {
    n: runs.length,
    errors,
    ttfbMs: median(runs.map((r) => r.ttfbMs)),
    totalMs: median(runs.map((r) => r.totalMs)),
    events: median(runs.map((r) => r.events)),
    delays: runs.flatMap((r) => r.delays),
  };
}
