// The printed result: markdown tables (medians over rounds, ratios to the floor) and PASS/MISS lines
// for the targets in issue 5.

const n = (x, digits = 2) => (x == null ? '–' : x.toFixed(digits));
const ms = (x, digits = 2) => (x == null ? '–' : `${x.toFixed(digits)} ms`);
const plus = (x, digits = 2) => (x == null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)} ms`);
const int = (x) => (x == null ? '–' : Math.round(x).toLocaleString('en-US'));
const times = (x) => (x == null ? '' : ` (${x.toFixed(2)}x)`);
const div = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

export function renderTables(result) {
  const { summary, labels, machine, settings } = result;
  const names = Object.keys(summary);
  const floor = summary.floor;
  const vsFloor = (name, pick) => (floor && name !== 'floor' && name !== 'direct' ? times(div(pick(summary[name]), pick(floor))) : '');
  const lines = [];
  lines.push(`Machine: ${machine.cores} cores, ${machine.model}, Node ${machine.node}, ${machine.os}; load average before the run ${n(machine.loadAtStart)}`);
  if (machine.loadAtStart >= 0.5) lines.push(`WARNING: the machine was busy before the bench started (load ${n(machine.loadAtStart)}); figures will be noisy.`);
  lines.push(`Settings: ${settings.rounds} interleaved rounds (${settings.quick ? 'quick' : 'default'}), medians over rounds; ` +
    `load phases ${settings.loadDurationS} s; c=1 phases ${settings.c1DurationMs} ms; bodies ${settings.smallBytes} B and ${settings.largeBytes} B; ` +
    `stream ${settings.streamEvents} events, ${settings.gapMs} ms apart, ${settings.streamsPerRound} per round.`);
  lines.push('"added" = the target minus direct-to-upstream in the same round; (Nx) = ratio to the floor.');
  lines.push('');
  const cpu = (x) => (x == null ? '–' : `${Math.round(x)} µs`);
  lines.push('| target | body | c=1 p50 | c=1 added p50 | c=1 p99 | c=32 req/s | c=32 p50 / p99 | CPU/req at c=32 |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const name of names) {
    for (const [key, body] of [['2k', '2 KB'], ['200k', '200 KB']]) {
      const c1 = (x) => x[`c1_${key}`];
      const c32 = (x) => x[`c32_${key}`];
      const s = summary[name];
      const added = name === 'direct' ? '' : `${plus(c1(s).addedP50, 3)}${vsFloor(name, (x) => c1(x).addedP50)}`;
      lines.push(`| ${labels[name]} | ${body} | ${ms(c1(s).p50, 3)} | ${added} | ${ms(c1(s).p99)} ` +
        `| ${int(c32(s).rps)}${vsFloor(name, (x) => c32(x).rps)} | ${n(c32(s).p50)} / ${n(c32(s).p99)} ms ` +
        `| ${cpu(c32(s).cpuUsPerReq)}${vsFloor(name, (x) => c32(x).cpuUsPerReq)} |`);
    }
  }
  lines.push('');
  lines.push('| target | stream TTFB added | stream total added | event delay added p50 / p99 / max | idle RSS | peak RSS |');
  lines.push('|---|---|---|---|---|---|');
  for (const name of names) {
    const st = summary[name].stream;
    const mem = summary[name].memory;
    const direct = name === 'direct';
    lines.push(`| ${labels[name]} | ${direct ? `(TTFB ${ms(st.ttfbMs)})` : plus(st.addedTtfbMs)} | ${direct ? '' : plus(st.addedTotalMs)} ` +
      `| ${direct ? '' : `${plus(st.addedEventDelayP50)} / ${plus(st.addedEventDelayP99)} / ${plus(st.addedEventDelayMax)}`} ` +
      `| ${mem ? `${n(mem.idleMb, 0)} MB` : '–'} | ${mem ? `${n(mem.peakMb, 0)} MB` : '–'}${vsFloor(name, (x) => x.memory?.peakMb)} |`);
  }
  const short = names.filter((name) => summary[name].stream.events != null && summary[name].stream.events < settings.streamEvents);
  if (short.length) lines.push('', `Streams that delivered fewer than ${settings.streamEvents} stamped events: ${short.map((x) => `${x} ${summary[x].stream.events}`).join(', ')}`);
  const errorNames = names.filter((name) => summary[name].errors > 0);
  if (errorNames.length) lines.push('', `Errors (non-200, timeouts, unfinished streams): ${errorNames.map((x) => `${x} ${summary[x].errors}`).join(', ')}`);
  if (result.startup) {
    const st = result.startup;
    lines.push('', `Start-up (median of ${st.runs}): \`node -e 0\` ${ms(st.nodeMs, 1)}; ` +
      (st.guardrunMs == null ? 'guardrun not measured.' : `\`guardrun --key-env OPENAI_API_KEY -- true\` ${ms(st.guardrunMs, 1)}${times(st.ratio)} of node -e 0.`));
    if (st.failure) lines.push(`guardrun start-up runs failed: ${st.failure}`);
  }
  if (result.sessionFileMb != null) lines.push('', `guardrun's session file after the load phases: ${n(result.sessionFileMb, 0)} MB.`);
  if (result.agent) lines.push('', ...renderAgent(result.agent));
  if (result.agentExact) lines.push('', ...renderAgent(result.agentExact));
  for (const [name, why] of Object.entries(result.skipped)) lines.push('', `SKIPPED ${name}: ${why}`);
  return lines.join('\n');
}

function renderAgent(agent) {
  const a = agent.at200k;
  const how = agent.policy === 'policy-exact.yaml'
    ? 'count_tokens: always, so the tokenizer and its per-message cache run every turn'
    : 'default policy: tokens counted only when a cost limit is in reach';
  const lines = [`Agent-shaped run (${how}): ${agent.turnsPerConversation} turns, ${agent.rounds} conversation(s) after a warm-up; per turn direct, floor, guardrun once each.`];
  lines.push('', '| turn | body | direct | floor added | guardrun added | guardrun own (guardMs) |', '|---|---|---|---|---|---|');
  for (const row of agent.rows.filter((r) => r.turn === 1 || r.turn % 10 === 0)) {
    lines.push(`| ${row.turn} | ${n(row.kb, 0)} KB | ${ms(row.directMs)} | ${plus(row.floorAddedMs)} | ${plus(row.guardrunAddedMs)} | ${row.guardMs == null ? '–' : ms(row.guardMs)} |`);
  }
  lines.push('', `At ${n(a.contextKb[0], 0)}–${n(a.contextKb[1], 0)} KB of context (turns 41–50): guardrun − direct p50 ${plus(a.overheadVsDirectP50)}, ` +
    `guardrun − floor p50 ${plus(a.overheadVsFloorP50)}` + (agent.guardMsField ? `, guardMs p50 ${ms(a.guardMsP50)} p99 ${ms(a.guardMsP99)}.` :
    '. The session file has no per-exchange `guardMs` field; guardrun\'s own time is estimated from the differences (a `guardMs` field on the response event would measure it directly).'));
  return lines;
}

/** PASS/MISS lines against issue 5's targets. */
export function checks(result) {
  const s = result.summary;
  const g = s.guardrun;
  const f = s.floor;
  const p = s.portkey;
  const out = [];
  const line = (ok, text) => out.push(`${ok == null ? 'N/A ' : ok ? 'PASS' : 'MISS'} ${text}`);
  if (!g) {
    out.push(`SKIP all guardrun targets: ${result.skipped.guardrun ?? 'guardrun was not measured'}`);
    return out;
  }
  const r = result.ratios;
  const has = (...xs) => xs.every((x) => x != null);
  line(has(r.addedP50C1_2k_vsFloor) ? g.c1_2k.addedP50 <= 1.5 * f.c1_2k.addedP50 : null,
    `added p50 at c=1, 2 KB: guardrun ${plus(g.c1_2k.addedP50, 3)} vs floor ${plus(f?.c1_2k.addedP50, 3)} = ${n(r.addedP50C1_2k_vsFloor)}x (target <= 1.5x)`);
  line(has(r.rpsC32_2k_vsFloor) ? r.rpsC32_2k_vsFloor >= 0.7 : null,
    `req/s at c=32, 2 KB: guardrun ${int(g.c32_2k.rps)} vs floor ${int(f?.c32_2k.rps)} = ${n(r.rpsC32_2k_vsFloor)}x (target >= 0.7x)`);
  line(has(r.rpsC32_2k_vsPortkey) ? r.rpsC32_2k_vsPortkey >= 5 : null,
    `req/s at c=32, 2 KB: guardrun ${int(g.c32_2k.rps)} vs Portkey ${int(p?.c32_2k.rps)} = ${n(r.rpsC32_2k_vsPortkey)}x (target >= 5x)`);
  line(has(r.addedTtfbMinusFloorMs) ? r.addedTtfbMinusFloorMs <= 1 : null,
    `added stream TTFB: guardrun ${plus(g.stream.addedTtfbMs)} vs floor ${plus(f?.stream.addedTtfbMs)}, difference ${plus(r.addedTtfbMinusFloorMs)} (target <= +1 ms)`);
  // p99, not the single worst event: on a shared 2-core machine the worst event is scheduler noise (the
  // floor's own worst is often +2 ms or more); the worst is printed alongside.
  line(has(r.eventDelayP99MinusFloorMs) ? r.eventDelayP99MinusFloorMs <= 1 : null,
    `event delay added, p99 per round: guardrun ${plus(g.stream.addedEventDelayP99)} vs floor ${plus(f?.stream.addedEventDelayP99)}, difference ${plus(r.eventDelayP99MinusFloorMs)} ` +
    `(target <= +1 ms; worst event ${plus(g.stream.addedEventDelayMax)} vs ${plus(f?.stream.addedEventDelayMax)}; no tool calls in these streams, but the secret lookahead holds back a delta's last characters when they could start a secret)`);
  const agent = result.agent?.at200k;
  if (agent) {
    const own = result.agent.guardMsField ? agent.guardMsP50 : agent.overheadVsFloorP50;
    line(own == null ? null : own <= 2,
      result.agent.guardMsField
        ? `agent run, guardrun's own time p50 at ~200 KB: guardMs ${ms(own)} (target <= 2 ms)`
        : `agent run, guardrun's own time p50 at ~200 KB, estimated as guardrun − floor: ${plus(own)}; upper bound guardrun − direct ${plus(agent.overheadVsDirectP50)} (target <= 2 ms; no guardMs field in the session file)`);
  } else {
    out.push(`N/A  agent run: ${result.skipped['agent run'] ?? 'not run'}`);
  }
  const exact = result.agentExact?.at200k;
  if (exact?.guardMsP50 != null) out.push(`INFO agent run with count_tokens: always, guardrun's own time p50 at ~200 KB: guardMs ${ms(exact.guardMsP50)} (not a target; the default counts tokens only near a limit)`);
  line(has(r.peakRss_vsFloor) ? r.peakRss_vsFloor <= 1.4 : null,
    `peak RSS under load: guardrun ${n(g.memory?.peakMb, 0)} MB vs floor ${n(f?.memory?.peakMb, 0)} MB = ${n(r.peakRss_vsFloor)}x (target <= 1.4x)`);
  const st = result.startup;
  line(st?.ratio != null && !st.failure ? st.ratio <= 3 : null,
    `start-up: guardrun -- true ${ms(st?.guardrunMs, 1)} vs node -e 0 ${ms(st?.nodeMs, 1)} = ${n(st?.ratio)}x (target <= 3x)`);
  return out;
}
