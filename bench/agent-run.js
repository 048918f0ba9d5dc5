// The agent-shaped run: a conversation growing to ~200 KB over 50 turns, each turn sent once to direct,
// the floor and guardrun in turn (a new conversation per round, so guardrun's per-message token cache
// sees only what a real agent would repeat). guardrun's own time comes from its session file when it
// records one per exchange (`guardMs` on the response event); otherwise from the latency differences.
import { readFileSync } from 'node:fs';
import { Client } from 'undici';
import { conversation } from './payloads.js';
import { median, percentile } from './stats.js';
import { requestOptions } from './measure.js';

async function timeOne(client, target, body) {
  const start = process.hrtime.bigint();
  const res = await client.request(requestOptions(target, body));
  await res.body.arrayBuffer();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return res.statusCode === 200 ? ms : null;
}

/** Runs one unrecorded warm-up conversation, then `rounds` measured ones. */
export async function agentRun(targets, { rounds, turns = 50, log = () => {} }) {
  const clients = targets.map((t) => new Client(t.origin, { keepAliveTimeout: 60_000 }));
  const perTurn = Array.from({ length: turns }, (_, i) => ({ turn: i + 1, bytes: 0, ms: Object.fromEntries(targets.map((t) => [t.name, []])) }));
  let errors = 0;
  try {
    for (let round = 0; round <= rounds; round++) {
      const talk = conversation(round === 0 ? 999 : 100 + round);
      for (let k = 1; k <= turns; k++) {
        const body = talk.bodyAt(k);
        for (let i = 0; i < targets.length; i++) {
          const ms = await timeOne(clients[i], targets[i], body);
          if (ms === null) errors++;
          if (round > 0) perTurn[k - 1].ms[targets[i].name].push(ms);
        }
        perTurn[k - 1].bytes = body.length;
      }
      log(round === 0 ? 'warm-up conversation done' : `conversation ${round}/${rounds} done`);
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  return { turns: perTurn, rounds, errors, sentPerTarget: (rounds + 1) * turns };
}

/**
 * `guardMs` of every response event in a session file, in request-id order; null when the file has
 * response events but none carries the field (or the file cannot be read).
 */
export function readGuardMs(sessionFile) {
  let text;
  try {
    text = readFileSync(sessionFile, 'utf8');
  } catch {
    return null;
  }
  const found = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"response"')) continue;
    try {
      const event = JSON.parse(line);
      if (event.type === 'response' && typeof event.guardMs === 'number') found.push({ id: event.id, ms: event.guardMs });
    } catch {
      // a torn last line
    }
  }
  return found.length ? found.sort((a, b) => a.id - b.id).map((f) => f.ms) : null;
}

/**
 * Per-turn medians and the figures for the target: guardrun's own time at ~200 KB (the last 10 turns).
 * `guardMs`: the session file's values for all sends (warm-up first), or null.
 */
export function summarizeAgent(run, guardrunName, guardMs) {
  const measuredGuard = guardMs && guardMs.length >= run.rounds * run.turns.length ? guardMs.slice(-run.rounds * run.turns.length) : null;
  const rows = run.turns.map((t, i) => {
    const d = t.ms.direct;
    const f = t.ms.floor ?? [];
    const g = t.ms[guardrunName] ?? [];
    const vsDirect = g.map((ms, r) => (ms == null || d[r] == null ? null : ms - d[r]));
    const vsFloor = g.map((ms, r) => (ms == null || f[r] == null ? null : ms - f[r]));
    // guardMs is in send order: round-major, turn-minor
    const own = measuredGuard ? Array.from({ length: run.rounds }, (_, r) => measuredGuard[r * run.turns.length + i]) : [];
    return {
      turn: t.turn,
      kb: t.bytes / 1024,
      directMs: median(d),
      floorAddedMs: median(f.map((ms, r) => (ms == null || d[r] == null ? null : ms - d[r]))),
      guardrunAddedMs: median(vsDirect),
      vsDirect,
      vsFloor,
      own,
    };
  });
  const last10 = rows.slice(-10);
  const pool = (key) => last10.flatMap((r) => r[key]);
  return {
    rows: rows.map(({ vsDirect, vsFloor, own, ...rest }) => ({ ...rest, guardMs: median(own) })),
    at200k: {
      contextKb: [last10[0]?.kb, last10.at(-1)?.kb],
      overheadVsDirectP50: percentile(pool('vsDirect'), 50),
      overheadVsFloorP50: percentile(pool('vsFloor'), 50),
      guardMsP50: measuredGuard ? percentile(pool('own'), 50) : null,
      guardMsP99: measuredGuard ? percentile(pool('own'), 99) : null,
    },
    guardMsField: measuredGuard !== null,
    errors: run.errors,
  };
}
