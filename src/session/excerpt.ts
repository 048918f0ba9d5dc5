// A short text for the approval prompt: the last thing the user said to the model.

export function lastUserText(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as { messages?: unknown; input?: unknown; prompt?: unknown };
  if (typeof b.input === 'string') return b.input;
  if (typeof b.prompt === 'string') return b.prompt;
  const items = Array.isArray(b.messages) ? b.messages : Array.isArray(b.input) ? b.input : [];
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as { role?: unknown; content?: unknown };
    if (item?.role === 'user') return contentText(item.content);
  }
  return '';
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { text?: unknown; type?: unknown }) => (typeof part?.text === 'string' ? part.text : part?.type ? `[${String(part.type)}]` : ''))
    .filter(Boolean)
    .join(' ');
}
