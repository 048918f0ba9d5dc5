// The agent of the response-side tests: one fetch after another through guardrun (requests from the
// AGENT_REQUESTS variable), every byte kept, a reset keeping what came before it; one JSON line of results.
const requests = JSON.parse(process.env.AGENT_REQUESTS ?? '[]');
const out = [];
for (const r of requests) {
  const anthropic = r.provider === 'anthropic';
  const base = anthropic ? `${process.env.ANTHROPIC_BASE_URL}/v1` : process.env.OPENAI_BASE_URL;
  const key = anthropic ? process.env.ANTHROPIC_API_KEY : process.env.OPENAI_API_KEY;
  const headers = { 'content-type': 'application/json', 'x-answer': r.answer, authorization: `Bearer ${key}`, 'anthropic-version': '2023-06-01' };
  const res = await fetch(base + r.path, { method: 'POST', headers, body: JSON.stringify(r.body), signal: AbortSignal.timeout(20_000) });
  const chunks = [];
  let broken;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }
  } catch (error) {
    broken = String(error?.cause?.code ?? error?.message ?? error);
  }
  out.push({ status: res.status, contentType: res.headers.get('content-type'), body: Buffer.concat(chunks).toString('base64'), broken });
}
console.log(JSON.stringify(out));
