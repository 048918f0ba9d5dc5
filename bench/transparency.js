// Stream transparency: the recorded-shape streams of fixtures/streams (nothing in them to mask) through
// guardrun and straight from the upstream, one event every --gap-ms. Per stream: events, the events held back
// (while a secret might have been forming: such an event arrives together with a later one, although the
// upstream wrote them a gap apart), p50/p99 of their delay after the upstream wrote them, and the bytes that
// differ from the upstream's (target: 0).
// `npm run bench:streams [-- --gap-ms 20]`, or part of `npm run bench`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from 'undici';
import { installCleanup, startProcess, stopProcess, waitForJsonLine } from './processes.js';
import { percentile } from './stats.js';
import { GUARDRUN_BIN, ROOT } from './targets.js';

const DIR = fileURLToPath(new URL('../fixtures/streams/', import.meta.url));
const FAKE_OPENAI = 'sk-test-fake-bench-key-0000';
const FAKE_ANTHROPIC = 'sk-ant-test-fake-bench-key-0000';

const eventsOf = (text) => text.split(/(?<=\n\n)/).filter((e) => e !== '');
const kindOf = (file) => (file.startsWith('chat') ? 'chat' : file.startsWith('responses') ? 'responses' : 'anthropic');

function requestFor(file) {
  const kind = kindOf(file);
  // include_usage as the agent's own, so guardrun adds (and takes out) nothing.
  if (kind === 'chat') return { path: '/chat/completions', provider: 'openai', body: { model: 'gpt-4.1', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] } };
  if (kind === 'responses') return { path: '/responses', provider: 'openai', body: { model: 'gpt-5.4', stream: true, input: 'hi' } };
  return { path: '/v1/messages', provider: 'anthropic', body: { model: 'claude-opus-5-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] } };
}

/** One stream: when each event arrived (ms after the upstream wrote it) and what arrived. */
async function oneStream(target, file, gapMs) {
  const r = requestFor(file);
  const base = r.provider === 'anthropic' ? target.anthropic : target.openai;
  const url = new URL(base.url);
  const client = new Client(url.origin);
  try {
    const res = await client.request({
      method: 'POST',
      path: `${url.pathname.replace(/\/$/, '')}${r.path}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${base.key}`, 'x-api-key': base.key, 'anthropic-version': '2023-06-01', 'x-answer': file },
      body: JSON.stringify(r.body),
    });
    if (res.statusCode !== 200) throw new Error(`${file}: status ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`);
    const t0 = BigInt(res.headers['x-bench-t0-ns']);
    let text = '';
    const arrivals = []; // ms after t0
    for await (const part of res.body) {
      const arrived = Number(process.hrtime.bigint() - t0) / 1e6;
      text += part.toString('utf8');
      for (let i = arrivals.length; i < eventsOf(text).length - (text.endsWith('\n\n') ? 0 : 1); i++) arrivals.push(arrived);
    }
    const delays = arrivals.map((at, i) => at - i * gapMs);
    // Held back: it arrived with the next event, which the upstream wrote a whole gap later.
    const held = delays.filter((_, i) => i + 1 < arrivals.length && arrivals[i + 1] - arrivals[i] < gapMs / 4);
    return { text, delays, held };
  } finally {
    await client.close();
  }
}

/** Bytes that differ from the upstream's stream, event by event (an event changed counts its larger size). */
function bytesChanged(expected, got) {
  const a = eventsOf(expected);
  const b = eventsOf(got);
  let bytes = 0;
  let events = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    events++;
    bytes += Math.max(Buffer.byteLength(a[i] ?? ''), Buffer.byteLength(b[i] ?? ''));
  }
  return { bytes, events };
}

async function startGuardrunFor(upstreamOrigin, { cwd, bin }) {
  const args = [bin, '--key-env', 'OPENAI_API_KEY', '--key-env', 'anthropic=ANTHROPIC_API_KEY', '--upstream', upstreamOrigin, '--anthropic-upstream', upstreamOrigin,
    '--policy', join(ROOT, 'bench', 'policy.yaml'), '--session-file', join(cwd, 'transparency.jsonl'), '--', process.execPath, join(ROOT, 'bench', 'hold.js')];
  const handle = startProcess('guardrun-streams', process.execPath, args, { cwd, env: { ...process.env, OPENAI_API_KEY: FAKE_OPENAI, ANTHROPIC_API_KEY: FAKE_ANTHROPIC } });
  const ready = await waitForJsonLine(handle, (v) => 'OPENAI_BASE_URL' in v, 20_000);
  return { handle, openai: { url: ready.OPENAI_BASE_URL, key: ready.OPENAI_API_KEY }, anthropic: { url: ready.ANTHROPIC_BASE_URL, key: ready.ANTHROPIC_API_KEY } };
}

/** Measures every fixture through guardrun and direct; `rounds` passes each. */
export async function measureTransparency({ gapMs = 20, rounds = 1, cwd, bin = GUARDRUN_BIN, log = () => {} }) {
  const upstream = startProcess('fixture-upstream', process.execPath, [join(ROOT, 'bench', 'fixture-upstream.js'), '--gap-ms', String(gapMs)]);
  const { port } = await waitForJsonLine(upstream, (v) => typeof v.port === 'number', 20_000);
  const origin = `http://127.0.0.1:${port}`;
  const guard = await startGuardrunFor(origin, { cwd, bin });
  const direct = { openai: { url: `${origin}/v1`, key: FAKE_OPENAI }, anthropic: { url: origin, key: FAKE_ANTHROPIC } };
  const files = readdirSync(DIR).filter((f) => f.endsWith('.sse')).sort();
  const streams = [];
  const lateAll = {};
  try {
    for (const file of files) {
      const expected = readFileSync(join(DIR, file), 'utf8');
      const row = { file, events: eventsOf(expected).length };
      for (const [name, target] of [['direct', direct], ['guardrun', guard]]) {
        const delays = [];
        const late = [];
        let changed = { bytes: 0, events: 0 };
        for (let round = 0; round < rounds; round++) {
          const got = await oneStream(target, file, gapMs);
          delays.push(...got.delays);
          late.push(...got.held);
          const c = bytesChanged(expected, got.text);
          changed = { bytes: Math.max(changed.bytes, c.bytes), events: Math.max(changed.events, c.events) };
        }
        (lateAll[name] ??= []).push(...late);
        row[name] = { delayed: late.length / rounds, delayedP50: percentile(late, 50), delayedP99: percentile(late, 99), p50: percentile(delays, 50), p99: percentile(delays, 99), bytesChanged: changed.bytes, eventsChanged: changed.events };
      }
      streams.push(row);
      log(`${file}: ${row.guardrun.delayed} of ${row.events} events held by guardrun (${row.direct.delayed} direct), ${row.guardrun.bytesChanged} bytes changed`);
    }
  } finally {
    await stopProcess(guard.handle);
    await stopProcess(upstream);
  }
  const all = (name, pick) => streams.map((s) => pick(s[name]));
  return {
    gapMs,
    rounds,
    streams,
    totals: Object.fromEntries(['direct', 'guardrun'].map((name) => [name, {
      events: streams.reduce((n, s) => n + s.events, 0),
      delayed: all(name, (x) => x.delayed).reduce((a, b) => a + b, 0),
      bytesChanged: all(name, (x) => x.bytesChanged).reduce((a, b) => a + b, 0),
      delayedP50: percentile(lateAll[name] ?? [], 50),
      delayedP99: percentile(lateAll[name] ?? [], 99),
    }])),
  };
}

/** The markdown table for the report. */
export function renderTransparency(t) {
  const ms = (x) => (x == null ? '–' : `${x.toFixed(1)} ms`);
  const n = (x) => String(Math.round(x * 10) / 10);
  const lines = [`Stream transparency (fixtures/streams, one event every ${t.gapMs} ms, ${t.rounds} round(s); "held" = arrived together with a later event, averaged over rounds; delays from when the upstream wrote the event):`, ''];
  lines.push('| stream | events | held: guardrun (direct) | held delay p50 / p99 | all events p50 / p99: guardrun (direct) | bytes changed |');
  lines.push('|---|---|---|---|---|---|');
  for (const s of t.streams) {
    const g = s.guardrun;
    const d = s.direct;
    lines.push(`| ${s.file} | ${s.events} | ${n(g.delayed)} (${n(d.delayed)}) | ${ms(g.delayedP50)} / ${ms(g.delayedP99)} | ${ms(g.p50)} / ${ms(g.p99)} (${ms(d.p50)} / ${ms(d.p99)}) | ${g.bytesChanged} |`);
  }
  const g = t.totals.guardrun;
  const d = t.totals.direct;
  lines.push(`| all | ${g.events} | ${n(g.delayed)} (${n(d.delayed)}) | ${ms(g.delayedP50)} / ${ms(g.delayedP99)} | | ${g.bytesChanged} |`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { 'gap-ms': { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' } } });
  installCleanup();
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const cwd = mkdtempSync(join(tmpdir(), 'guardrun-bench-streams-'));
  const t = await measureTransparency({ gapMs: Number(values['gap-ms']), rounds: Number(values.rounds), cwd, log: (m) => process.stderr.write(`[streams] ${m}\n`) });
  process.stdout.write(`${renderTransparency(t)}\n`);
  const g = t.totals.guardrun;
  process.stdout.write(`${g.bytesChanged === 0 ? 'PASS' : 'MISS'} clean streams reach the agent byte for byte (${g.bytesChanged} bytes changed)\n`);
  process.exit(0);
}
