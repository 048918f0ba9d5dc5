import { it } from 'vitest';
import { compileDetectors } from './detectors.js';
import { createScanner } from './scan.js';
import { createStreamMasker } from './stream-masker.js';
const REAL = 'sk-guardrun-fake-real-000000000000000000000000000000';
const scanner = createScanner(compileDetectors({ exact: [{ id: 'openai-real-key', value: REAL }], patterns: [{ id: 'custom', regex: 'itk_[0-9]{4,}' }] }));
it('debug', () => {
  const t = "password:api_keya sk-guardrun-fake-reaAIzafake-test-passASIAl-000000000000000000000000000000${X}secretask-ant-TFAKE0/nullFAKETESTpasswordaws_secret_access_keyPRIVATE KEY-----aTFAKE0/AIzaaaaaBFAKE0/aaaglpat-0000aaPASSWORDCERTIFICATE-----";
  const p = 66508143 % (t.length + 1);
  console.log(p, JSON.stringify(t.slice(0, p)));
  const m = createStreamMasker(scanner);
  console.log(JSON.stringify(m.push(t.slice(0, p))), m.heldLength);
  console.log(JSON.stringify(m.push(t.slice(p))), m.heldLength);
  console.log(scanner.find(t.slice(0, p)));
  for (const d of scanner.detectors) { const r = d.tail?.exec(t.slice(0,p)); if (r) console.log(d.id, r.index); }
});
