// A keystore in process memory: for the demo, unit tests and GUARDRUN_KEYSTORE=memory. Nothing survives exit.
import type { FoundKey, Keystore, KeystoreInfo } from './keystore.js';

export interface MemoryKeystoreOptions {
  /** Keys to start with, by account name (e.g. `openai`, `openai:work`). */
  initial?: Record<string, string>;
  name?: string;
  description?: string;
  /** Pretend to outlive the process (tests of code that treats persistent stores differently). */
  persistent?: boolean;
}

export function createMemoryKeystore(options: MemoryKeystoreOptions = {}): Keystore {
  const items = new Map<string, string>(Object.entries(options.initial ?? {}));
  const info: KeystoreInfo = {
    name: options.name ?? 'memory',
    description: options.description ?? 'memory (this process only)',
    persistent: options.persistent ?? false,
  };
  return {
    ...info,
    async get(account) {
      return items.get(account);
    },
    async find(account): Promise<FoundKey | undefined> {
      const value = items.get(account);
      return value === undefined ? undefined : { value, store: info };
    },
    async set(account, secret) {
      items.set(account, secret);
      return info;
    },
    async delete(account) {
      return items.delete(account);
    },
  };
}

let shared: Keystore | undefined;

/** The one memory keystore of this process, so `key set` and a later run in the same process see the same keys. */
export function sharedMemoryKeystore(): Keystore {
  shared ??= createMemoryKeystore();
  return shared;
}
