import { describe, expect, it } from 'vitest';
import { detectAgent, packageName, programName } from './detect.js';

type Row = [argv: string[], agent: string | 'generic' | 'ambiguous', args?: string[], via?: string[]];

// The detection table: what each command starts and where the agent's own arguments begin.
const ROWS: Row[] = [
  [['codex'], 'codex', [], []],
  [['codex', 'exec', 'fix it'], 'codex', ['exec', 'fix it'], []],
  [['/usr/local/bin/codex', '--model', 'o3'], 'codex', ['--model', 'o3'], []],
  [['C:\\tools\\codex.exe', 'resume'], 'codex', ['resume'], []],
  [['claude', '-p', 'hi'], 'claude', ['-p', 'hi'], []],
  [['claude.cmd'], 'claude', [], []],
  [['npx', '@openai/codex', 'exec', 'x'], 'codex', ['exec', 'x'], ['npx']],
  [['npx', '-y', '@openai/codex@0.171.0', 'exec'], 'codex', ['exec'], ['npx']],
  [['npx', '--yes', '--registry', 'https://r.example', '@anthropic-ai/claude-code@latest', '-p', 'hi'], 'claude', ['-p', 'hi'], ['npx']],
  [['npx', '-p', '@openai/codex', 'codex', 'exec'], 'codex', ['exec'], ['npx']],
  [['npx', '--package=@anthropic-ai/claude-code', '--', 'claude', '-p', 'x'], 'claude', ['-p', 'x'], ['npx']],
  [['npx', 'codex'], 'codex', [], ['npx']],
  [['npm', 'exec', '--', '@openai/codex', 'exec'], 'codex', ['exec'], ['npm exec']],
  [['npm', 'x', '@openai/codex'], 'codex', [], ['npm x']],
  [['pnpm', 'dlx', '@openai/codex', 'exec', 'y'], 'codex', ['exec', 'y'], ['pnpm dlx']],
  [['pnpm', 'exec', 'claude', '-p', 'y'], 'claude', ['-p', 'y'], ['pnpm exec']],
  [['bunx', '@anthropic-ai/claude-code', '-p', 'q'], 'claude', ['-p', 'q'], ['bunx']],
  [['bun', 'x', '@openai/codex'], 'codex', [], ['bun x']],
  [['yarn', 'dlx', '@openai/codex', 'exec'], 'codex', ['exec'], ['yarn dlx']],
  [['env', 'FOO=1', 'codex', 'exec'], 'codex', ['exec'], ['env']],
  [['env', '-i', 'PATH=/bin', 'env', 'A=b', 'claude'], 'claude', [], ['env', 'env']],
  [['env', '-u', 'X', '--', 'npx', '@openai/codex', 'exec'], 'codex', ['exec'], ['env', 'npx']],
  [['node', '/opt/lib/node_modules/@openai/codex/bin/codex.js', 'exec', 'z'], 'codex', ['exec', 'z'], ['node']],
  [['node', '--no-warnings', '-r', 'hook.js', './node_modules/@anthropic-ai/claude-code/cli.js', '-p', 'z'], 'claude', ['-p', 'z'], ['node']],
  [['node', 'codex.js'], 'codex', [], ['node']],
  [['sh', '-c', 'codex exec "fix the tests"'], 'codex', ['exec', 'fix the tests'], ['sh -c']],
  [['bash', '-lc', "exec claude -p 'it is fine'"], 'claude', ['-p', 'it is fine'], ['bash -c']],
  [['sh', '-c', 'npx -y @openai/codex exec hi'], 'codex', ['exec', 'hi'], ['sh -c', 'npx']],
  [['env', 'A=1', 'sh', '-c', 'env B=2 codex exec'], 'codex', ['exec'], ['env', 'sh -c', 'env']],
  [['sh', '-c', 'cd x && codex exec hi'], 'ambiguous'],
  [['bash', '-c', 'claude -p "$PROMPT"'], 'ambiguous'],
  [['sh', '-c', 'codex exec hi | tee log'], 'ambiguous'],
  [['sh', '-c', 'make test && echo done'], 'generic'],
  [['sh', 'script.sh'], 'generic'],
  [['node', 'agent.js'], 'generic'],
  [['node', '-e', 'require("codex")'], 'generic'],
  [['python', 'agent.py'], 'generic'],
  [['npx', 'tsx', 'agent.ts'], 'generic'],
  [['npx', '-c', 'codex exec'], 'generic'],
  [['codexify'], 'generic'],
  [['my-claude-wrapper'], 'generic'],
  [[], 'generic'],
];

describe('detectAgent', () => {
  it.each(ROWS)('%j → %s', (argv, agent, args, via) => {
    const result = detectAgent(argv);
    if (agent === 'generic' || agent === 'ambiguous') {
      expect(result.kind).toBe(agent);
      return;
    }
    expect(result.kind).toBe('agent');
    if (result.kind !== 'agent') return;
    expect(result.detection.agent.id).toBe(agent);
    expect(result.detection.args).toEqual(args);
    expect(result.detection.via).toEqual(via);
  });

  it('gives the insertion point in the original argv', () => {
    const r = detectAgent(['env', 'X=1', 'npx', '-y', '@openai/codex', 'exec']);
    expect(r.kind === 'agent' && r.detection.insertAt).toBe(5);
  });

  it('records where inside a sh -c script the agent arguments start', () => {
    const r = detectAgent(['env', 'X=1', 'bash', '-c', 'exec codex exec hi', 'argv0']);
    expect(r.kind).toBe('agent');
    if (r.kind !== 'agent') return;
    expect(r.detection.shell).toEqual({ index: 4, words: ['exec', 'codex', 'exec', 'hi'], insertAt: 2 });
  });

  it('collects env VAR=value of a wrapper', () => {
    const r = detectAgent(['env', 'CODEX_HOME=/x', 'codex']);
    expect(r.kind === 'agent' && r.detection.wrapperEnv).toEqual({ CODEX_HOME: '/x' });
  });

  it('names the agents an unrewritable script mentions', () => {
    const r = detectAgent(['sh', '-c', 'cd repo; claude -p hi && codex exec again']);
    expect(r.kind).toBe('ambiguous');
    expect(r.kind === 'ambiguous' && r.agents.map((a) => a.id).sort()).toEqual(['claude', 'codex']);
  });
});

describe('names', () => {
  it.each([
    ['/usr/bin/codex', 'codex'], ['codex.exe', 'codex'], ['Claude.CMD', 'claude'], ['./bin/codex.js', 'codex'], ['codex-beta', 'codex-beta'],
  ])('programName(%s) = %s', (arg, name) => expect(programName(arg)).toBe(name));
  it.each([
    ['@openai/codex@0.171.0', '@openai/codex'], ['@openai/codex', '@openai/codex'], ['codex@latest', 'codex'], ['codex', 'codex'],
  ])('packageName(%s) = %s', (spec, name) => expect(packageName(spec)).toBe(name));
});
