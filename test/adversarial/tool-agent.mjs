// The agent of the tool-call tests: the Vercel AI SDK (@ai-sdk/openai, Chat Completions or Responses) with a
// `shell` tool whose execute only notes the command, and @anthropic-ai/sdk's MessageStream for Anthropic (the
// tool_use blocks of its final message). Cases come from AGENT_CASES ([{ answer, api, stream }]); each case's
// scripted answer is picked by the `x-answer` header. Prints one JSON line: per case, what the client ran or
// would run, and the error it reported.
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';

setTimeout(() => process.exit(3), 60_000).unref();
const cases = JSON.parse(process.env.AGENT_CASES ?? '[]');
const results = [];
for (const c of cases) {
  const executed = [];
  let error = null;
  try {
    if (c.api === 'anthropic') {
      const client = new Anthropic({ baseURL: process.env.ANTHROPIC_BASE_URL, apiKey: process.env.ANTHROPIC_API_KEY, maxRetries: 0, defaultHeaders: { 'x-answer': c.answer } });
      const request = { model: 'claude-opus-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'list files' }], tools: [{ name: 'shell', input_schema: { type: 'object', properties: { cmd: { type: 'string' } } } }] };
      const message = c.stream ? await client.messages.stream(request).finalMessage() : await client.messages.create(request);
      for (const block of message.content) if (block.type === 'tool_use') executed.push(String(block.input?.cmd ?? JSON.stringify(block.input)));
    } else {
      const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY, headers: { 'x-answer': c.answer } });
      const shell = tool({
        description: 'run a shell command',
        inputSchema: jsonSchema({ type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] }),
        execute: async ({ cmd }) => {
          executed.push(cmd);
          return 'done';
        },
      });
      const request = { model: c.api === 'chat' ? openai.chat('gpt-4.1') : openai('gpt-4.1'), prompt: 'list files', tools: { shell }, maxRetries: 0 };
      if (c.stream) {
        const result = streamText({ ...request, onError: () => {} });
        for await (const part of result.fullStream) if (part.type === 'error') throw part.error;
      } else {
        await generateText(request);
      }
    }
  } catch (e) {
    error = String(e?.message ?? e).slice(0, 300);
  }
  results.push({ answer: c.answer, executed, error });
}
console.log(JSON.stringify(results));
