import type { Provider } from '../providers.js';

/** What a place for keys says about itself (for messages and the status table). */
export interface KeystoreInfo {
  /** Stable id: secret-service | kernel-keyring | macos-keychain | windows-credential | memory. */
  readonly name: string;
  /** For people: where the key is stored, e.g. "Secret Service (GNOME Keyring, KWallet)". */
  readonly description: string;
  /** False when a stored key is lost at reboot or exit (kernel keyring, memory). */
  readonly persistent: boolean;
}

/** A key found in a keystore, and which backend held it. */
export interface FoundKey {
  value: string;
  store: KeystoreInfo;
}

/** Where `set` put a key; `skipped` says why earlier backends of a chain refused it. */
export interface StoredIn extends KeystoreInfo {
  skipped?: readonly string[];
}

/** A place real keys are kept. Backends are tried in order (see open-keystore.ts). */
export interface Keystore extends KeystoreInfo {
  get(account: string): Promise<string | undefined>;
  /** Like get, and says which backend held the key (a chain of backends answers with the one that hit). */
  find(account: string): Promise<FoundKey | undefined>;
  /** Stores the key; resolves to the backend that took it. */
  set(account: string, secret: string): Promise<StoredIn>;
  /** Deletes the key (from every backend of a chain); false when there was none. */
  delete(account: string): Promise<boolean>;
}

/** A real key guardrun holds for one provider, and where it came from (for messages, never the value). */
export interface HeldKey {
  provider: Provider;
  value: string;
  /** e.g. "keychain (Secret Service)" or "env OPENAI_REAL_KEY". */
  source: string;
}
