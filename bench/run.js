// `npm run bench [-- --quick] [-- --rounds N] [-- --targets direct,floor,guardrun,portkey]`
// Starts a fake upstream and the targets (each its own process, all on 127.0.0.1), measures them in
// interleaved rounds, prints markdown tables and PASS/MISS lines, writes bench/results/<date>.json.
// Progress goes to stderr; the report to stdout.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, stopProcess, cpuMicros, memoryMb, killAllSync } from './processes.js';
import { startUpstream, directTarget, startFloor, startGuardrun, startPortkey, guardrunMissing, ROOT, GUARDRUN_BIN } from './targets.js';
import { latencyC1, load, streams } from './measure.js';
import { chatBody } from './payloads.js';
import { agentRun, readGuardMs, summarizeAgent } from './agent-run.js';
import { startupTimes } from './startup.js';
import { summarize, ratios } from './summarize.js';
import { renderTables, checks } from './report.js';
import { renderScenarios, scenarioChecks } from './report-scenarios.js';
import { machineInfo } from './machine.js';
import { measureTransparency, renderTransparency } from './transparency.js';
import { firstRequests, sessionGrowth, bigBody } from './scenarios.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    targets: { type: 'string', default: 'direct,floor,guardrun,portkey' },
    // Only the agent-shaped scenarios of issue 13 (first request, re-sent context, session growth, big body).
    'scenarios-only': { type: 'boolean', default: false },
    'gap-ms': { type: 'string', default: '4' },
    // Another guardrun to measure (an installed one, another checkout); default: this checkout's bin/guardrun.js.
    'guardrun-bin': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write('usage: npm run bench -- [--quick] [--rounds N] [--targets direct,floor,guardrun,portkey] [--gap-ms 4] [--guardrun-bin PATH] [--scenarios-only]\n');
  process.exit(0);
}

const quick = args.quick;
const settings = {
  quick,
  rounds: Number(args.rounds ?? (quick ? 2 : 5)),
  c1DurationMs: quick ? 500 : 1500,
  c1MaxRequests: 20_000,
  loadDurationS: quick ? 1 : 3,
  connections: 32,
  smallBytes: 2048,
  largeBytes: 200 * 1024,
  streamEvents: 50,
  gapMs: Number(args['gap-ms']),
  streamsPerRound: quick ? 3 : 5,
  agentRounds: quick ? 1 : 3,
  agentTurns: 50,
  startupRuns: quick ? 5 : 10,
  // Issue 13's scenarios: fresh processes per round for the first request.
  firstRounds: quick ? 2 : 3,
  firstSizes: [75 * 1024, 300 * 1024],
  laterRequests: 30,
  growthTurns: 60,
  bigBytes: 20e6,
  bigCount: 3,
};
const guardrunBin = args['guardrun-bin'] ? resolve(args['guardrun-bin']) : GUARDRUN_BIN;
const wanted = new Set(args.targets.split(',').map((s) => s.trim()));
wanted.add('direct'); // every "added" figure is relative to it

const began = Date.now();
const log = (text) => process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

installCleanup();
const scratch = mkdtempSync(join(tmpdir(), 'guardrun-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

const small = chatBody(settings.smallBytes);
const large = chatBody(settings.largeBytes, { seed: 2 });
const streamBody = chatBody(settings.smallBytes, { stream: true, seed: 3 });

/** Runs `measure`, adding CPU per request of the target's process, the upstream and this load generator. */
async function withCpu(target, upstream, measure) {
  const read = () => ({ target: target.pid ? cpuMicros(target.pid) : null, upstream: cpuMicros(upstream.pid), self: process.cpuUsage() });
  const before = read();
  const figures = await measure();
  const after = read();
  const per = (a, b) => (a == null || !figures.requests ? null : (a - b) / figures.requests);
  const self = (after.self.user + after.self.system - before.self.user - before.self.system) / (figures.requests || 1);
  return { ...figures, cpuUsPerReq: per(after.target, before.target), upstreamCpuUsPerReq: per(after.upstream, before.upstream), clientCpuUsPerReq: self };
}

function phases(upstream) {
  const c1 = { durationMs: settings.c1DurationMs, maxRequests: settings.c1MaxRequests };
  const c32 = { durationS: settings.loadDurationS, connections: settings.connections };
  return [
    ['c1_2k', (t) => latencyC1(t, small, c1)],
    ['c1_200k', (t) => latencyC1(t, large, c1)],
    ['c32_2k', (t) => withCpu(t, upstream, () => load(t, small, c32))],
    ['c32_200k', (t) => withCpu(t, upstream, () => load(t, large, c32))],
    ['stream', (t) => streams(t, streamBody, { count: settings.streamsPerRound })],
  ];
}

async function startTargets(upstream, skipped) {
  const targets = [directTarget(upstream)];
  const starters = {
    floor: () => startFloor(upstream),
    guardrun: () => {
      const missing = guardrunMissing(guardrunBin);
      if (missing) throw new Error(missing);
      return startGuardrun(upstream, { cwd: scratch, sessionFile: join(scratch, 's.jsonl'), bin: guardrunBin });
    },
    portkey: () => startPortkey(upstream),
  };
  for (const [name, start] of Object.entries(starters)) {
    if (!wanted.has(name)) continue;
    try {
      targets.push(await start());
      log(`${name} is up`);
    } catch (error) {
      skipped[name] = error.message;
      log(`SKIPPING ${name}: ${error.message}`);
    }
  }
  return targets;
}

/** Unmeasured JIT warm-up; returns the targets that survived it. */
async function warmUp(targets, skipped) {
  const alive = [];
  for (const t of targets) {
    try {
      await latencyC1(t, small, { durationMs: 300, warmup: 50 });
      await latencyC1(t, large, { durationMs: 300, warmup: 10 });
      await load(t, small, { durationS: 1, connections: settings.connections });
      await streams(t, streamBody, { count: 1 });
      alive.push(t);
    } catch (error) {
      skipped[t.name] = `failed during warm-up: ${error.message}${t.handle?.stderr ? `; stderr: ${t.handle.stderr.trim().slice(-400)}` : ''}`;
      log(`SKIPPING ${t.name}: ${skipped[t.name]}`);
      if (t.name === 'direct') throw error;
    }
  }
  return alive;
}

async function measureRounds(targets, upstream, skipped) {
  const rounds = [];
  let active = targets;
  for (let round = 1; round <= settings.rounds; round++) {
    const figures = {};
    for (const [phase, measure] of phases(upstream)) {
      for (const t of active) {
        try {
          (figures[t.name] ??= {})[phase] = await measure(t);
        } catch (error) {
          (figures[t.name] ??= {})[phase] = { errors: 1, error: error.message };
          log(`${t.name} ${phase} failed: ${error.message}`);
        }
        await pause(100);
      }
      const gone = active.filter((t) => t.handle?.exited);
      for (const t of gone) skipped[t.name] = `exited (${t.handle.exitCode}) during round ${round}; stderr: ${t.handle.stderr.trim().slice(-400)}`;
      active = active.filter((t) => !gone.includes(t));
    }
    rounds.push(figures);
    log(`round ${round}/${settings.rounds} done`);
  }
  return rounds;
}

async function runAgent(upstream, targets, skipped, policy) {
  const floor = targets.find((t) => t.name === 'floor');
  if (!targets.some((t) => t.name === 'guardrun') || !floor) {
    skipped['agent run'] = 'needs guardrun and the floor';
    return null;
  }
  const sessionFile = join(scratch, `agent-${policy}.jsonl`);
  const guard = await startGuardrun(upstream, { cwd: scratch, sessionFile, name: 'guardrun-agent', bin: guardrunBin, policy });
  let run;
  try {
    run = await agentRun([targets[0], floor, guard], { rounds: settings.agentRounds, turns: settings.agentTurns, log });
  } finally {
    await stopProcess(guard.handle);
  }
  const summary = summarizeAgent(run, 'guardrun-agent', readGuardMs(sessionFile));
  return { policy, turnsPerConversation: settings.agentTurns, rounds: settings.agentRounds, ...summary };
}

/** Issue 13's scenarios, each target started fresh where the scenario is about a start. */
async function runScenarios(upstream, skipped) {
  const ctx = { upstream, scratch, bin: guardrunBin, wanted, log };
  const out = {};
  if (wanted.has('guardrun') && guardrunMissing(guardrunBin)) {
    skipped.scenarios = guardrunMissing(guardrunBin);
    return out;
  }
  const attempt = async (name, fn) => {
    try {
      out[name] = await fn();
    } catch (error) {
      skipped[`scenario ${name}`] = error.message;
      log(`scenario ${name} failed: ${error.message}`);
    }
  };
  log('scenario: first request and re-sent context');
  await attempt('first', () => firstRequests({ ...ctx, rounds: settings.firstRounds, later: settings.laterRequests, sizes: settings.firstSizes }));
  if (wanted.has('guardrun')) {
    log('scenario: session growth');
    await attempt('growth', () => sessionGrowth({ ...ctx, turns: settings.growthTurns }));
  }
  log('scenario: big body');
  await attempt('big', () => bigBody({ ...ctx, bytes: settings.bigBytes, count: settings.bigCount }));
  return out;
}

async function main() {
  const skipped = {};
  const machine = machineInfo();
  log(`${machine.cores} cores, ${machine.model}, Node ${machine.node}; ${settings.rounds} rounds${quick ? ' (quick)' : ''}`);
  const upstream = await startUpstream({ gapMs: settings.gapMs, events: settings.streamEvents });
  if (args['scenarios-only']) {
    const scenarios = await runScenarios(upstream, skipped);
    await stopProcess(upstream.handle);
    const result = { date: new Date().toISOString(), machine, settings, labels: {}, skipped, summary: {}, scenarios };
    process.stdout.write(`\n${renderScenarios(result).join('\n')}\n\n${scenarioChecks(result).join('\n')}\n`);
    writeResult(result, null);
    return;
  }
  const targets = await startTargets(upstream, skipped);
  await pause(500);
  const memory = {};
  for (const t of targets) if (t.pid) memory[t.name] = { idleMb: memoryMb(t.pid).rssMb };
  log('warming up');
  const warm = await warmUp(targets, skipped);
  const rounds = await measureRounds(warm, upstream, skipped);
  for (const t of warm) if (t.pid && !t.handle.exited) memory[t.name].peakMb = memoryMb(t.pid).peakMb;
  log('agent-shaped run');
  // Twice: the default policy (tokens counted only when a limit is in reach), then every request counted.
  const agent = await runAgent(upstream, warm, skipped, 'policy.yaml').catch((error) => {
    skipped['agent run'] = error.message;
    return null;
  });
  const agentExact = await runAgent(upstream, warm, skipped, 'policy-exact.yaml').catch((error) => {
    skipped['agent run (exact)'] = error.message;
    return null;
  });
  for (const t of targets) if (t.handle) await stopProcess(t.handle);
  const scenarios = await runScenarios(upstream, skipped);
  await stopProcess(upstream.handle);
  let sessionFileMb = null;
  try {
    sessionFileMb = statSync(join(scratch, 's.jsonl')).size / 1024 / 1024;
  } catch {
    // guardrun not run, or it wrote no file
  }
  log('stream transparency');
  const transparency = warm.some((t) => t.name === 'guardrun')
    ? await measureTransparency({ gapMs: 20, rounds: quick ? 1 : 3, cwd: scratch, bin: guardrunBin, log }).catch((error) => {
        skipped['stream transparency'] = error.message;
        return null;
      })
    : null;
  log('start-up times');
  const startup = await startupTimes({ runs: settings.startupRuns, withGuardrun: warm.some((t) => t.name === 'guardrun'), cwd: scratch, bin: guardrunBin });

  const names = warm.map((t) => t.name);
  const summary = summarize(names, rounds, memory);
  const labels = Object.fromEntries(warm.map((t) => [t.name, t.label]));
  const result = { date: new Date().toISOString(), machine, settings, labels, skipped, summary, ratios: ratios(summary), agent, agentExact, startup, sessionFileMb, scenarios, transparency, rounds };
  const streamsTable = transparency ? `\n\n${renderTransparency(transparency)}` : '';
  const streamsCheck = transparency ? [`${transparency.totals.guardrun.bytesChanged === 0 ? 'PASS' : 'MISS'} clean streams reach the agent byte for byte (${transparency.totals.guardrun.bytesChanged} bytes changed)`] : [];
  const report = `${renderTables(result)}${streamsTable}\n\n${renderScenarios(result).join('\n')}\n\n${[...checks(result), ...streamsCheck].join('\n')}\n${scenarioChecks(result).join('\n')}\n`;
  process.stdout.write(`\n${report}`);
  writeResult(result, rounds);
}

function writeResult(result, rounds) {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ ...result, rounds: rounds ? stripDelays(rounds) : undefined }, null, 2)}\n`);
  log(`wrote ${file}; took ${((Date.now() - began) / 1000).toFixed(0)} s`);
}

/** The JSON keeps per-round figures but not the thousands of raw per-event delays. */
function stripDelays(rounds) {
  return rounds.map((r) => Object.fromEntries(Object.entries(r).map(([name, f]) => [name, f.stream ? { ...f, stream: { ...f.stream, delays: f.stream.delays?.length } } : f])));
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  killAllSync();
  process.exit(1);
});
