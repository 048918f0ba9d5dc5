import { AsyncEntry } from '@napi-rs/keyring';
for (const acct of ['guardrun-probe', 'guardrun-probe2', 'anthropic', 'abc', 'openai', 'probe-12345']) {
  for (const svc of ['guardrun', 'zzz']) {
  const e = new AsyncEntry(svc, acct, { linux: { store: 'keyutils' } });
  try { console.log(svc, acct, await e.getPassword()); } catch (err) { console.log(svc, acct, 'ERR', err.message); }
  }
}
