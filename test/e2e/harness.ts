// Shared pieces for end-to-end tests: the built CLI, fake keys, temp dirs, session files.
import { execa, type Options, type ResultPromise } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'guardrun.js');
export const AGENTS = join(ROOT, 'fixtures', 'agents');

// Obviously fake values that still look like the providers' keys.
export const FAKE_OPENAI_KEY = 'sk-test-fake-openai-real-key-000000000000000000000000';
export const FAKE_ANTHROPIC_KEY = 'sk-ant-test-fake-anthropic-real-key-0000000000000000';

/** A clean environment: nothing of the developer's (keys, GUARDRUN_SESSION, CI) leaks into a test run. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    TMPDIR: process.env.TMPDIR,
    NO_COLOR: '1',
    ...extra,
  };
}

export function tempDir(prefix = 'guardrun-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs `node bin/guardrun.js ...args` with a clean environment. Never rejects; read exitCode. */
export function guardrun(args: string[], options: Options & { env?: Record<string, string | undefined> } = {}): ResultPromise {
  const { env, ...rest } = options;
  return execa(process.execPath, [BIN, ...args], {
    env: baseEnv(env),
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
    ...rest,
  } as Options) as ResultPromise;
}

/** Common flags: the fake key from an env var and the fake upstream. */
export function keyArgs(upstreamUrl: string, sessionFile: string): string[] {
  return ['--key-env', 'OPENAI_REAL', '--upstream', upstreamUrl, '--session-file', sessionFile];
}

export function readLines(file: string): Array<Record<string, any>> {
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
}

/** The agent's one JSON result line from stdout. */
export function agentResult(stdout: unknown): Record<string, any> {
  const lines = String(stdout).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** A plain HTTP server on 127.0.0.1 (a host the child may reach, or not, through the egress proxy). */
export interface LoopbackSite {
  port: number;
  close(): Promise<void>;
}

/** Starts a LoopbackSite answering with `listener`; `close` ends its connections too. */
export async function startLoopbackSite(listener: RequestListener): Promise<LoopbackSite> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
