import type { Provider } from '../providers.js';

/** A place real keys are kept. Backends are tried in order (see open-keystore.ts). */
export interface Keystore {
  /** Stable id: secret-service | kernel-keyring | macos-keychain | windows-credential | memory. */
  readonly name: string;
  /** For people: where the key is stored, e.g. "Secret Service (GNOME Keyring, KWallet)". */
  readonly description: string;
  get(account: string): Promise<string | undefined>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

/** A real key guardrun holds for one provider, and where it came from (for messages, never the value). */
export interface HeldKey {
  provider: Provider;
  value: string;
  /** e.g. "keychain (Secret Service)" or "env OPENAI_REAL_KEY". */
  source: string;
}
