// The agent-shaped scenarios of issue 13, beside the load phases: an agent's first request (fresh processes:
// nothing warm), later requests that re-send the same context with one new message, the session file of a
// 60-turn agent, and a 20 MB request body (a base64 image). Each target gets the same client process
// (bench/first-call.js); guardrun's own time comes from its session file (`guardMs`).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startProcess, waitForJsonLine, stopProcess } from './processes.js';
import { startFloor, startPortkey, FAKE_KEY, ROOT } from './targets.js';
import { agentContext, repeatedContext, conversation, imageBody } from './payloads.js';
import { median } from './stats.js';

const CLIENT = join(ROOT, 'bench', 'first-call.js');
const RUN_MS = 120_000;

/** Runs the client against `base` (an OPENAI_BASE_URL) to its end; resolves with its { ms, status }. */
async function runClient(name, bodiesFile, base, { repeat, headers } = {}) {
  const env = { ...process.env, OPENAI_BASE_URL: base, OPENAI_API_KEY: FAKE_KEY, BENCH_HEADERS: JSON.stringify(headers ?? {}) };
  const handle = startProcess(name, process.execPath, [CLIENT, bodiesFile, ...(repeat ? [String(repeat)] : [])], { env });
  try {
    return await waitForJsonLine(handle, (v) => Array.isArray(v.ms), RUN_MS);
  } finally {
    await stopProcess(handle);
  }
}

/** guardrun with the client as its child (the agent starts as the proxy listens); its session file read after. */
async function runGuarded(name, bodiesFile, { upstream, scratch, bin, policy, repeat, tag }) {
  const sessionFile = join(scratch, `${tag}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}.jsonl`);
  const args = [bin, '--key-env', 'OPENAI_API_KEY', '--upstream', upstream.origin, '--session-file', sessionFile,
    ...(policy ? ['--policy', join(ROOT, 'bench', policy)] : []), '--', process.execPath, CLIENT, bodiesFile, ...(repeat ? [String(repeat)] : [])];
  const handle = startProcess(name, process.execPath, args, { cwd: scratch, env: { ...process.env, OPENAI_API_KEY: FAKE_KEY } });
  let out;
  try {
    out = await waitForJsonLine(handle, (v) => Array.isArray(v.ms), RUN_MS);
    await Promise.race([handle.exitPromise, new Promise((r) => setTimeout(r, 10_000))]);
  } catch (error) {
    throw new Error(`${error.message}; stderr: ${handle.stderr.trim().slice(-400)}`);
  } finally {
    await stopProcess(handle);
  }
  return { ...out, sessionFile, guardMs: guardMsById(sessionFile) };
}

/** `guardMs` of each response line, by exchange id (1-based array; missing ones null). */
function guardMsById(file) {
  const out = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{"seq"') || !line.includes('"type":"response"')) continue;
    try {
      const e = JSON.parse(line);
      if (typeof e.guardMs === 'number') out[e.id - 1] = e.guardMs;
    } catch {
      // torn line
    }
  }
  return out;
}

/**
 * First request of a session (~75 KB and ~300 KB, gpt-4.1, the default policy with its limits) and
 * `later` requests re-sending that context with one new exchange each (their figure: the p50 after the tenth);
 * every target freshly started per round. Returns { [size]: { [target]: { firstMs, laterMs, guardFirstMs, guardLaterMs } } } (medians).
 */
export async function firstRequests({ upstream, scratch, bin, rounds, later, sizes, wanted, log }) {
  const result = {};
  for (const bytes of sizes) {
    const file = join(scratch, `first-${bytes}.json`);
    writeFileSync(file, JSON.stringify(repeatedContext(agentContext(bytes), later)));
    const samples = {};
    const add = (name, fig) => (samples[name] ??= []).push(fig);
    for (let round = 1; round <= rounds; round++) {
      // "Later" is the steady state of a session: the last requests, after the first ten warmed everything up.
      const steady = (ms) => median(ms.slice(Math.min(11, ms.length - 1)));
      const direct = await runClient('client-direct', file, `${upstream.origin}/v1`);
      add('direct', { first: direct.ms[0], later: steady(direct.ms) });
      if (wanted.has('floor')) {
        const floor = await startFloor(upstream);
        try {
          const r = await runClient('client-floor', file, `${floor.origin}/v1`);
          add('floor', { first: r.ms[0], later: steady(r.ms) });
        } finally {
          await stopProcess(floor.handle);
        }
      }
      if (wanted.has('guardrun')) {
        const r = await runGuarded('guardrun-first', file, { upstream, scratch, bin, tag: `first-${bytes}` });
        const bad = r.status.filter((s) => s !== 200).length;
        add('guardrun', { first: r.ms[0], later: steady(r.ms), guardFirst: r.guardMs[0], guardLater: steady(r.guardMs), errors: bad });
      }
      if (wanted.has('portkey')) {
        const portkey = await startPortkey(upstream);
        try {
          const r = await runClient('client-portkey', file, `${portkey.origin}/v1`, { headers: portkey.headers });
          add('portkey', { first: r.ms[0], later: steady(r.ms) });
        } finally {
          await stopProcess(portkey.handle);
        }
      }
      log(`first request ${Math.round(bytes / 1024)} KB: round ${round}/${rounds} done`);
    }
    result[bytes] = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, {
      firstMs: median(list.map((s) => s.first)),
      laterMs: median(list.map((s) => s.later)),
      guardFirstMs: median(list.map((s) => s.guardFirst)),
      guardLaterMs: median(list.map((s) => s.guardLater)),
      firstSamples: list.map((s) => s.first),
      errors: list.reduce((n, s) => n + (s.errors ?? 0), 0),
    }]));
  }
  return result;
}

/**
 * A 60-turn agent whose context grows ~3.5 KB a turn, re-sent whole each turn, through a fresh guardrun:
 * the session file's size against the distinct content it records (the last request's messages, which
 * hold every earlier one, plus every answer).
 */
export async function sessionGrowth({ upstream, scratch, bin, turns = 60 }) {
  const talk = conversation(4242, { userBytes: 2800, assistantBytes: 700 });
  const bodies = Array.from({ length: turns }, (_, i) => JSON.parse(talk.bodyAt(i + 1).toString()));
  const file = join(scratch, 'growth.json');
  writeFileSync(file, JSON.stringify(bodies));
  const r = await runGuarded('guardrun-growth', file, { upstream, scratch, bin, policy: 'policy.yaml', tag: 'growth' });
  const fileBytes = statSync(r.sessionFile).size;
  const gzipBytes = gzipSync(readFileSync(r.sessionFile)).length;
  const answerBytes = readAnswerBytes(r.sessionFile);
  const distinctBytes = Buffer.byteLength(JSON.stringify(bodies.at(-1))) + answerBytes;
  return { turns, fileBytes, gzipBytes, distinctBytes, ratio: fileBytes / distinctBytes, gzipRatio: gzipBytes / distinctBytes, guardMsLast10: median(r.guardMs.slice(-10)), errors: r.status.filter((s) => s !== 200).length };
}

function readAnswerBytes(file) {
  // The bench upstream answers every request with the same ~1 KB completion: count it once per answer.
  let n = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line.includes('"type":"response"')) n++;
  return n * 1030;
}

/**
 * A ~20 MB request (one base64 PNG, gpt-4.1, the default policy): a small request first (so connections
 * and the price data are up), then `count` big ones. Each target started fresh for it.
 */
export async function bigBody({ upstream, scratch, bin, bytes = 20e6, count = 3, wanted, log }) {
  const file = join(scratch, 'big.json');
  writeFileSync(file, JSON.stringify([{ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hello' }] }, imageBody(bytes)]));
  const out = {};
  const big = (ms) => median(ms.slice(1));
  const direct = await runClient('client-direct', file, `${upstream.origin}/v1`, { repeat: count });
  out.direct = { ms: big(direct.ms), samples: direct.ms.slice(1) };
  if (wanted.has('floor')) {
    const floor = await startFloor(upstream);
    try {
      const r = await runClient('client-floor', file, `${floor.origin}/v1`, { repeat: count });
      out.floor = { ms: big(r.ms), samples: r.ms.slice(1) };
    } finally {
      await stopProcess(floor.handle);
    }
  }
  if (wanted.has('guardrun')) {
    const r = await runGuarded('guardrun-big', file, { upstream, scratch, bin, repeat: count, tag: 'big' });
    out.guardrun = { ms: big(r.ms), samples: r.ms.slice(1), guardMs: median(r.guardMs.slice(1)), guardSamples: r.guardMs.slice(1), errors: r.status.filter((s) => s !== 200).length };
  }
  if (wanted.has('portkey')) {
    const portkey = await startPortkey(upstream);
    try {
      const r = await runClient('client-portkey', file, `${portkey.origin}/v1`, { repeat: count, headers: portkey.headers });
      out.portkey = { ms: big(r.ms), samples: r.ms.slice(1), errors: r.status.filter((s) => s !== 200).length };
    } finally {
      await stopProcess(portkey.handle);
    }
  }
  log('big body done');
  return { bytes: statSync(file).size, ...out };
}
