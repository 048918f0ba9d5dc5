// From per-round raw figures to one summary per target: medians over rounds, where every "added" figure
// is taken against direct-to-upstream in the same round first (rounds are interleaved, so drift cancels).
import { median, percentile, max, minus, ratio } from './stats.js';

/**
 * rounds: [{ [target]: { c1_2k, c1_200k, c32_2k, c32_200k, stream } }]
 * memory: { [target]: { idleMb, peakMb } }
 */
export function summarize(targetNames, rounds, memory) {
  const out = {};
  for (const name of targetNames) {
    // A phase that failed left no figures: it counts as missing, not as zero.
    const per = (fn) => median(rounds.map((r) => (r[name] && r.direct ? tryOrNull(() => fn(r[name], r.direct)) : null)));
    const streamAdded = rounds.map((r) => eventDelaysAdded(r[name]?.stream, r.direct?.stream));
    out[name] = {
      c1_2k: { p50: per((t) => t.c1_2k.p50), p99: per((t) => t.c1_2k.p99), addedP50: per((t, d) => minus(t.c1_2k.p50, d.c1_2k.p50)) },
      c1_200k: { p50: per((t) => t.c1_200k.p50), p99: per((t) => t.c1_200k.p99), addedP50: per((t, d) => minus(t.c1_200k.p50, d.c1_200k.p50)) },
      c32_2k: { rps: per((t) => t.c32_2k.rps), p50: per((t) => t.c32_2k.p50), p99: per((t) => t.c32_2k.p99), cpuUsPerReq: per((t) => t.c32_2k.cpuUsPerReq) },
      c32_200k: { rps: per((t) => t.c32_200k.rps), p50: per((t) => t.c32_200k.p50), p99: per((t) => t.c32_200k.p99), cpuUsPerReq: per((t) => t.c32_200k.cpuUsPerReq) },
      stream: {
        ttfbMs: per((t) => t.stream.ttfbMs),
        addedTtfbMs: per((t, d) => minus(t.stream.ttfbMs, d.stream.ttfbMs)),
        addedTotalMs: per((t, d) => minus(t.stream.totalMs, d.stream.totalMs)),
        events: per((t) => t.stream.events),
        addedEventDelayP50: median(streamAdded.map((a) => a?.p50)),
        addedEventDelayP99: median(streamAdded.map((a) => a?.p99)),
        addedEventDelayMax: median(streamAdded.map((a) => a?.max)),
      },
      memory: memory[name] ?? null,
      errors: rounds.reduce((sum, r) => sum + countErrors(r[name]), 0),
    };
  }
  return out;
}

function tryOrNull(fn) {
  try {
    return fn() ?? null;
  } catch {
    return null;
  }
}

/** Each event's delay beyond direct's median event delay in the same round. */
function eventDelaysAdded(stream, directStream) {
  if (!stream?.delays?.length || !directStream?.delays?.length) return null;
  const base = median(directStream.delays);
  const added = stream.delays.map((d) => d - base);
  return { p50: percentile(added, 50), p99: percentile(added, 99), max: max(added) };
}

function countErrors(figures) {
  if (!figures) return 0;
  return Object.values(figures).reduce((sum, f) => sum + (f?.errors ?? 0), 0);
}

/** Every figure the targets name, as ratios from the same run. */
export function ratios(summary, guardrunName = 'guardrun') {
  const g = summary[guardrunName];
  const f = summary.floor;
  const p = summary.portkey;
  const r = (fn, other) => (g && other ? ratio(fn(g), fn(other)) : null);
  return {
    addedP50C1_2k_vsFloor: r((s) => s.c1_2k.addedP50, f),
    rpsC32_2k_vsFloor: r((s) => s.c32_2k.rps, f),
    rpsC32_2k_vsPortkey: r((s) => s.c32_2k.rps, p),
    rpsC32_200k_vsFloor: r((s) => s.c32_200k.rps, f),
    cpuPerReq_vsFloor: r((s) => s.c32_2k.cpuUsPerReq, f),
    peakRss_vsFloor: r((s) => s.memory?.peakMb, f),
    addedTtfbMinusFloorMs: g && f ? minus(g.stream.addedTtfbMs, f.stream.addedTtfbMs) : null,
    eventDelayP99MinusFloorMs: g && f ? minus(g.stream.addedEventDelayP99, f.stream.addedEventDelayP99) : null,
    eventDelayMaxMinusFloorMs: g && f ? minus(g.stream.addedEventDelayMax, f.stream.addedEventDelayMax) : null,
  };
}
