// The printed result of issue 13's scenarios: a table beside the load phases' and PASS/MISS lines.

const ms = (x, digits = 1) => (x == null ? '–' : `${x.toFixed(digits)} ms`);
const plus = (x, digits = 1) => (x == null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)} ms`);
const kb = (bytes) => (bytes == null ? '–' : `${Math.round(bytes / 1024).toLocaleString('en-US')} KB`);
const minus = (a, b) => (a == null || b == null ? null : a - b);
const times = (a, b) => (a == null || b == null || b === 0 ? '' : ` (${(a / b).toFixed(2)}x)`);

export function renderScenarios(result) {
  const s = result.scenarios ?? {};
  const lines = [];
  const first = s.first ?? {};
  if (Object.keys(first).length) {
    lines.push('Agent-shaped scenarios (issue 13). First request: a fresh agent process sends it as soon as it starts, against a freshly started target (guardrun starts the agent itself); times as the agent measures them, medians over rounds. Later: the same context re-sent with one new exchange each time, 30 times; p50 of the last 20.');
    lines.push('', '| scenario | direct | floor | guardrun | guardrun own (guardMs) | Portkey |', '|---|---|---|---|---|---|');
    for (const [bytes, t] of Object.entries(first)) {
      const d = t.direct?.firstMs;
      lines.push(`| first request, ~${kb(Number(bytes))}, gpt-4.1, default policy | ${ms(d)} | ${plus(minus(t.floor?.firstMs, d))} | ${plus(minus(t.guardrun?.firstMs, d))} | ${ms(t.guardrun?.guardFirstMs, 2)} | ${plus(minus(t.portkey?.firstMs, d))} |`);
    }
    for (const [bytes, t] of Object.entries(first)) {
      const d = t.direct?.laterMs;
      lines.push(`| later requests re-sending the ~${kb(Number(bytes))} context, p50 | ${ms(d, 2)} | ${plus(minus(t.floor?.laterMs, d), 2)} | ${plus(minus(t.guardrun?.laterMs, d), 2)} | ${ms(t.guardrun?.guardLaterMs, 2)} | ${plus(minus(t.portkey?.laterMs, d), 2)} |`);
    }
  }
  if (s.big) {
    const b = s.big;
    const d = b.direct?.ms;
    lines.push(`| ${kb(b.bytes)} request (one base64 PNG), gpt-4.1, p50 of ${b.direct?.samples?.length ?? '?'} | ${ms(d)} | ${plus(minus(b.floor?.ms, d))} | ${plus(minus(b.guardrun?.ms, d))} | ${ms(b.guardrun?.guardMs, 2)} | ${plus(minus(b.portkey?.ms, d))}${b.portkey?.errors ? ` (${b.portkey.errors} errors)` : ''} |`);
  }
  if (s.growth) {
    const g = s.growth;
    lines.push('', `Session file of a ${g.turns}-turn agent (context growing ~3.5 KB a turn, re-sent whole each turn): ${kb(g.fileBytes)} for ${kb(g.distinctBytes)} of distinct content (the last request's messages and every answer) = ${g.ratio.toFixed(2)}x; gzipped ${kb(g.gzipBytes)} (${g.gzipRatio.toFixed(2)}x); guardMs p50 of the last 10 turns ${ms(g.guardMsLast10, 2)}.`);
  }
  return lines;
}

/** PASS/MISS lines against issue 13's targets. */
export function scenarioChecks(result) {
  const s = result.scenarios ?? {};
  const out = [];
  const line = (ok, text) => out.push(`${ok == null ? 'N/A ' : ok ? 'PASS' : 'MISS'} ${text}`);
  for (const [bytes, t] of Object.entries(s.first ?? {})) {
    const added = minus(t.guardrun?.firstMs, t.direct?.firstMs);
    line(added == null ? null : added <= 30, `first request, ~${kb(Number(bytes))}: guardrun ${ms(t.guardrun?.firstMs)} vs direct ${ms(t.direct?.firstMs)} = ${plus(added)} (target <= +30 ms; guardMs ${ms(t.guardrun?.guardFirstMs, 2)})`);
  }
  const big = Object.entries(s.first ?? {}).at(-1);
  if (big) {
    const g = big[1].guardrun?.guardLaterMs;
    line(g == null ? null : g <= 2, `re-sent ~${kb(Number(big[0]))} context with one new message: guardMs p50 ${ms(g, 2)} (target <= 2 ms)`);
  }
  if (s.growth) line(s.growth.ratio <= 1.5, `${s.growth.turns}-turn session file: ${kb(s.growth.fileBytes)} for ${kb(s.growth.distinctBytes)} distinct = ${s.growth.ratio.toFixed(2)}x (target <= 1.5x)`);
  if (s.big) {
    const g = s.big.guardrun?.guardMs;
    line(g == null ? null : g <= 50, `${kb(s.big.bytes)} body: guardMs p50 ${ms(g, 1)}, total ${ms(s.big.guardrun?.ms)} vs direct ${ms(s.big.direct?.ms)}${times(s.big.guardrun?.ms, s.big.direct?.ms)} (target guardMs <= 50 ms)`);
  }
  return out;
}
