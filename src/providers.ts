// The model providers guardrun fronts, and how each names its credentials.

export const PROVIDERS = ['openai', 'anthropic'] as const;
export type Provider = (typeof PROVIDERS)[number];

export function isProvider(value: string): value is Provider {
  return (PROVIDERS as readonly string[]).includes(value);
}

/** Keychain account name: `openai`, or `openai:work` for profile `work`. */
export function accountName(provider: Provider, profile?: string): string {
  return profile && profile !== 'default' ? `${provider}:${profile}` : provider;
}

export const DEFAULT_UPSTREAMS: Record<Provider, string> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
};

export const UPSTREAM_ENV: Record<Provider, string> = {
  openai: 'GUARDRUN_OPENAI_UPSTREAM',
  anthropic: 'GUARDRUN_ANTHROPIC_UPSTREAM',
};
