import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { joinWords, splitSimpleCommand } from './shell-words.js';

describe('splitSimpleCommand', () => {
  it.each<[string, string[] | undefined]>([
    ['codex exec hi', ['codex', 'exec', 'hi']],
    ['  codex   exec\thi  ', ['codex', 'exec', 'hi']],
    [`claude -p 'it''s "fine"'`, ['claude', '-p', `its "fine"`]],
    ['claude -p "say \\"hi\\" \\\\ now"', ['claude', '-p', 'say "hi" \\ now']],
    ['codex exec a\\ b', ['codex', 'exec', 'a b']],
    ['codex -c key="v"', ['codex', '-c', 'key=v']],
    ["claude --settings '{\"a\":1}'", ['claude', '--settings', '{"a":1}']],
    ['codex exec ""', ['codex', 'exec', '']],
    ['cd x && codex', undefined],
    ['codex; rm -rf x', undefined],
    ['codex exec "$X"', undefined],
    ['codex exec `id`', undefined],
    ['codex > out', undefined],
    ['codex exec *.ts', undefined],
    ['FOO=1 codex', undefined],
    ["codex 'unterminated", undefined],
    ['codex\nclaude', undefined],
    ['', undefined],
  ])('%j', (script, words) => expect(splitSimpleCommand(script)).toEqual(words));
});

describe('joinWords', () => {
  const cases = [
    ['codex', '-c', 'openai_base_url="http://127.0.0.1:1234/v1"', 'exec', "it's $HOME `x` \\ \"q\""],
    ['claude', '--settings', '/home/u/.cache/guardrun/claude-settings-abc.json', '-p', ''],
  ];
  it.each(cases)('round-trips through a real sh: %j', (...words) => {
    const script = joinWords(words);
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${script}`]);
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(words);
    expect(splitSimpleCommand(script)).toEqual(words);
  });
});
