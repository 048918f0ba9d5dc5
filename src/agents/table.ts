// The known agents, as data. Adding one: a row here, and where it needs more than variables and options
// (a config file to read, a private home), a hooks file like codex.ts or claude.ts. See docs/agents.md.
import type { AgentId, AgentSpec } from './types.js';

/**
 * Facts behind each row (measured with @openai/codex 0.171.0 and @anthropic-ai/claude-code 2.1.332, see
 * docs/agents.md):
 * - Codex ignores OPENAI_BASE_URL; its built-in `openai` provider takes the base URL from the config key
 *   `openai_base_url` (per run: `-c`, before any subcommand). `codex exec` prefers CODEX_API_KEY over a
 *   stored login, the interactive TUI does not, so the key also comes from a private CODEX_HOME (codex.ts).
 * - Claude Code honours ANTHROPIC_BASE_URL, but a `env` block in its settings files wins over the process
 *   environment; a `--settings` layer wins over those. ANTHROPIC_AUTH_TOKEN is sent as a bearer token and
 *   takes precedence over a stored subscription login without the "Detected a custom API key" question
 *   that ANTHROPIC_API_KEY raises in interactive sessions.
 */
export const AGENTS: readonly AgentSpec[] = [
  {
    id: 'codex',
    name: 'Codex CLI',
    programs: ['codex'],
    packages: ['@openai/codex'],
    providers: ['openai'],
    env: { CODEX_API_KEY: '{dummy}', OPENAI_API_KEY: '{dummy}' },
    unset: [],
    envDefaults: {},
    docs: 'https://developers.openai.com/codex/config-reference',
    unseen: [
      'Codex traffic that is not a model call: plugin catalog sync (github.com, api.github.com, chatgpt.com) and analytics (ab.chatgpt.com); no key from guardrun or from your login goes there',
      'MCP servers in your Codex config: they reach their own services directly',
    ],
  },
  {
    id: 'claude',
    name: 'Claude Code',
    programs: ['claude'],
    packages: ['@anthropic-ai/claude-code'],
    providers: ['anthropic'],
    env: { ANTHROPIC_BASE_URL: '{origin}/anthropic', ANTHROPIC_AUTH_TOKEN: '{dummy}' },
    unset: ['ANTHROPIC_API_KEY'],
    envDefaults: { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
    docs: 'https://code.claude.com/docs/en/settings',
    unseen: [
      'Claude Code traffic that is not a model call (update checks, telemetry): off with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1, which guardrun sets unless you set it yourself',
      'MCP servers and plugins in your Claude Code settings: they reach their own services directly',
    ],
  },
];

export function agentById(id: AgentId): AgentSpec {
  const found = AGENTS.find((a) => a.id === id);
  if (!found) throw new Error(`unknown agent ${id}`);
  return found;
}

/** `{origin}` and `{dummy}` filled in. */
export function fillTemplate(value: string, origin: string, dummyKey: string): string {
  return value.replaceAll('{origin}', origin).replaceAll('{dummy}', dummyKey);
}
