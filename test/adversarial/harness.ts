// The shared harness of the adversarial suite: the built CLI guarding a child that only waits, while the test
// itself plays a hostile agent over raw sockets with the session's dummy key. One file per attack kind uses it.
//
// Budgets: `fuzzRuns(n)` is n in the default suite and GUARDRUN_FUZZ_RUNS (or 20×n) under `npm run test:fuzz`.
import { execa, type ResultPromise } from 'execa';
import { writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { BIN, FAKE_OPENAI_KEY, baseEnv, readLines, tempDir } from '../e2e/harness.js';

export { FAKE_OPENAI_KEY, readLines, tempDir };

/** Property-test runs: the default suite's bounded budget, or the long one under `npm run test:fuzz`. */
export function fuzzRuns(defaultRuns: number): number {
  const long = process.env.GUARDRUN_FUZZ_RUNS;
  return long ? Math.max(defaultRuns, Number(long)) : defaultRuns;
}

/** True under `npm run test:fuzz` (bigger inputs, more cases). */
export const LONG = process.env.GUARDRUN_FUZZ_RUNS !== undefined;

// The child: says where the proxy is and with which key, then waits to be stopped.
const WAITER = `console.log(JSON.stringify({ base: process.env.OPENAI_BASE_URL, anthropic: process.env.ANTHROPIC_BASE_URL, key: process.env.OPENAI_API_KEY, env: process.argv.includes('--env') ? process.env : undefined })); setInterval(() => {}, 1000);`;

export interface GuardedOptions {
  /** Policy YAML; default: endpoints and models open, no cost prompts, secrets redacted. */
  policy?: string;
  upstream: string;
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Print the child's whole environment in `child.env`. */
  childEnv?: boolean;
}

export interface Guarded {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  key: string;
  sessionFile: string;
  child: { env?: Record<string, string> };
  process: ResultPromise;
  /** Sends SIGTERM (unless already stopped) and waits for guardrun to exit. */
  stop(signal?: NodeJS.Signals): Promise<{ exitCode: number | undefined; stderr: string; lines: Array<Record<string, any>>; ms: number }>;
}

export const OPEN_POLICY = `version: 1
endpoints:
  allow: ["* /v1/*", "* /anthropic/*", "WS /v1/*"]
models:
  unknown: allow
cost:
  approve_over_usd: null
  session_budget_usd: null
  unknown_model: allow
`;

/** Starts `guardrun -- <waiting child>` against `upstream` and resolves once the child reported the proxy. */
export async function startGuarded(o: GuardedOptions): Promise<Guarded> {
  const dir = tempDir('guardrun-adv-');
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, o.policy ?? OPEN_POLICY);
  const sessionFile = join(dir, 'session.jsonl');
  const args = [BIN, '--key-env', 'OPENAI_REAL', '--upstream', o.upstream, '--policy', policy, '--session-file', sessionFile, '--ci', ...(o.args ?? []), '--', process.execPath, '-e', WAITER, ...(o.childEnv ? ['--', '--env'] : [])];
  const proc = execa(process.execPath, args, { env: baseEnv({ OPENAI_REAL: FAKE_OPENAI_KEY, ...o.env }), extendEnv: false, reject: false, timeout: 300_000, stdin: 'ignore', buffer: { stdout: false } }) as unknown as ResultPromise;
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer): void => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        proc.stdout?.off('data', onData);
        resolve(out.slice(0, nl));
      }
    };
    proc.stdout?.on('data', onData);
    void proc.then(() => reject(new Error(`guardrun exited before the child started: ${stderr}`)));
  });
  const info = JSON.parse(first) as { base: string; key: string; env?: Record<string, string> };
  const origin = new URL(info.base).origin;
  let exited: Awaited<ReturnType<Guarded['stop']>> | undefined;
  return {
    origin,
    port: Number(new URL(origin).port),
    key: info.key,
    sessionFile,
    child: { env: info.env },
    process: proc,
    async stop(signal = 'SIGTERM') {
      if (exited) return exited;
      const t = performance.now();
      proc.kill(signal);
      const r = await proc;
      exited = { exitCode: r.exitCode, stderr, lines: readLines(sessionFile), ms: performance.now() - t };
      return exited;
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Set when the connection broke instead of answering. */
  error?: string;
  ms: number;
}

/** One HTTP request from the hostile agent (node:http sends the path as written). Never rejects. */
export function send(g: Pick<Guarded, 'port' | 'key'>, o: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number; noKey?: boolean }): Promise<RawAnswer> {
  const t = performance.now();
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...(o.noKey ? {} : { authorization: `Bearer ${g.key}` }), ...o.headers };
    const req = request({ host: '127.0.0.1', port: g.port, method: o.method ?? 'POST', path: o.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), error: e.message, ms: performance.now() - t }));
    });
    req.setTimeout(o.timeoutMs ?? 60_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, headers: {}, body: '', error: e.code ?? e.message, ms: performance.now() - t }));
    req.end(o.body);
  });
}

/** A raw TCP connection to the proxy, for what node:http would not send (slow bytes, odd framing). */
export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Sends raw bytes and collects the answer until the connection closes or `ms` passes. */
export async function rawExchange(port: number, bytes: string | Buffer, ms = 5_000): Promise<string> {
  const s = await rawSocket(port);
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, ms);
    s.on('data', (c) => (out += c.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('error', () => undefined);
    s.write(bytes);
  });
}

/** A chat body with `content` as the user's message. */
export function chat(content: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content }], ...extra });
}

export const JSON_HEADERS = { 'content-type': 'application/json' };
