// A hostile upstream for the response side, and a run of the built CLI against it. The upstream answers each
// request with a scripted answer, picked by the request's `x-answer` header: any status, headers, bytes cut into
// any chunks, a reset mid-way; an answer may be built from the key the upstream received (to echo it).
// The agent is a child process that fetches through guardrun and prints what it got, byte for byte.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, guardrun, readLines } from '../e2e/harness.js';

export { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY };

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  /** The body in the pieces it is written in (a pause of `gapMs` between them). */
  chunks: Array<string | Buffer>;
  gapMs?: number;
  /** Destroy the connection after the chunks instead of ending the answer. */
  reset?: boolean;
}

/** An answer, or a function of the key the request carried (`Authorization: Bearer` or `x-api-key`). */
export type Script = Answer | ((key: string) => Answer);

export interface ScriptedUpstream {
  url: string;
  /** `x-answer` of every request received, in order. */
  seen: string[];
  close(): Promise<void>;
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

export async function startScriptedUpstream(scripts: Record<string, Script>): Promise<ScriptedUpstream> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const name = String(req.headers['x-answer'] ?? '');
      seen.push(name);
      const script = scripts[name];
      if (!script) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no scripted answer "${name}"`, type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      const key = String(req.headers['x-api-key'] ?? String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''));
      const answer = typeof script === 'function' ? script(key) : script;
      res.writeHead(answer.status ?? 200, answer.headers ?? SSE_HEADERS);
      let i = 0;
      const next = (): void => {
        if (res.destroyed) return;
        if (i < answer.chunks.length) {
          res.write(answer.chunks[i++]);
          setTimeout(next, answer.gapMs ?? 0).unref();
        } else if (answer.reset) {
          res.destroy();
        } else {
          res.end();
        }
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface AgentRequest {
  /** The scripted answer wanted. */
  answer: string;
  provider: 'openai' | 'anthropic';
  /** API path below the base URL: `/chat/completions`, `/responses`, `/messages`. */
  path: string;
  body: unknown;
}

export interface AgentResult {
  status: number;
  contentType: string | null;
  /** The bytes received, base64 (what arrived before a reset, when it broke). */
  body: string;
  broken?: string;
}

/** The fetching agent (fetch-agent.mjs): what it received, byte for byte. */
export const FETCH_AGENT = [process.execPath, join(import.meta.dirname, 'fetch-agent.mjs')];

export interface GuardedRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  results: AgentResult[];
  /** The session file's lines. */
  session: Array<Record<string, any>>;
  sessionText: string;
}

/** The built CLI with both fake keys and `upstream` for both providers; `agent` defaults to the fetching child. */
export async function runGuarded(o: { upstream: string; dir: string; name: string; requests?: AgentRequest[]; agent?: string[]; policy?: string; env?: Record<string, string> }): Promise<GuardedRun> {
  const sessionFile = join(o.dir, `${o.name}.jsonl`);
  const agent = o.agent ?? FETCH_AGENT;
  const args = ['--key-env', 'OPENAI_REAL', '--key-env', 'anthropic=ANTHROPIC_REAL', '--upstream', o.upstream, '--anthropic-upstream', o.upstream, '--session-file', sessionFile, ...(o.policy ? ['--policy', o.policy] : []), '--', ...agent];
  const r = await guardrun(args, { env: { OPENAI_REAL: FAKE_OPENAI_KEY, ANTHROPIC_REAL: FAKE_ANTHROPIC_KEY, AGENT_REQUESTS: JSON.stringify(o.requests ?? []), OPENAI_AGENTS_DISABLE_TRACING: '1', ...o.env } });
  const { readFileSync } = await import('node:fs');
  const sessionText = readFileSync(sessionFile, 'utf8');
  let results: AgentResult[] = [];
  const last = String(r.stdout).trim().split('\n').at(-1) ?? '';
  try {
    results = o.agent ? [] : (JSON.parse(last) as AgentResult[]);
  } catch {
    results = [];
  }
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), results, session: readLines(sessionFile), sessionText };
}

/** The agent's bytes of one result as text. */
export const bodyText = (r: AgentResult): string => Buffer.from(r.body, 'base64').toString('utf8');

/**
 * Every text a client could rebuild from an answer: the raw bytes, and for JSON (the body, or each SSE event's
 * data) the strings of each field concatenated across events (array positions merged, in order), with byte
 * arrays decoded. A secret in none of them did not reach the agent through any channel or encoding.
 */
export function reconstructions(text: string): string[] {
  const out = [text];
  const datas: unknown[] = [];
  const json = (s: string): void => {
    try {
      datas.push(JSON.parse(s.replace(/^\uFEFF/, '')));
    } catch {
      // not JSON
    }
  };
  if (/^\s*[[{]/.test(text.replace(/^\uFEFF/, ''))) json(text);
  for (const block of text.split(/\r\n\r\n|\n\n|\r\r|\r\n\r|\n\r/)) {
    const data = block
      .split(/\r\n|\r|\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(l.charCodeAt(5) === 32 ? 6 : 5))
      .join('\n');
    if (data) json(data);
  }
  const byPath = new Map<string, string>();
  const add = (path: string, s: string): void => void byPath.set(path, (byPath.get(path) ?? '') + s);
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string') add(path, v);
    else if (Array.isArray(v)) {
      if (v.length > 0 && v.every((n) => Number.isInteger(n) && n >= 0 && n < 256)) add(`${path}#bytes`, Buffer.from(v as number[]).toString('latin1'));
      for (const item of v) walk(item, `${path}/*`);
    } else if (v && typeof v === 'object') for (const [k, child] of Object.entries(v)) walk(child, `${path}/${k}`);
  };
  for (const d of datas) walk(d, '');
  // Texts that are JSON themselves (tool-call arguments, once all their deltas are in) are parsed again, as clients do.
  for (const [path, joined] of [...byPath]) {
    if (!/^\s*[[{]/.test(joined)) continue;
    try {
      walk(JSON.parse(joined), `${path}>json`);
    } catch {
      // not (yet) JSON
    }
  }
  out.push(...byPath.values());
  return out;
}
