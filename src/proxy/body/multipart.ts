// multipart/form-data (RFC 7578) request bodies, read with undici's parser (the one behind fetch's
// `Response.formData()`): fields and text files become parts to check; binary files are listed as uninspected.
import { createRequire } from 'node:module';
import { isTextContent, printable, type BodyPart } from './parts.js';

export interface MultipartRead {
  parts: BodyPart[];
  uninspected: string[];
  /** One line per part for the record: name, filename, type, size. Names and filenames only, never content. */
  summary: string;
}

export async function readMultipart(body: Buffer, contentType: string): Promise<MultipartRead | { error: string }> {
  let form: FormData;
  try {
    // Loaded on first use, like the upstream Pool: `undici` costs ~75 ms to load, which start-up should not pay.
    const { Response } = createRequire(import.meta.url)('undici') as typeof import('undici');
    form = (await new Response(body, { headers: { 'content-type': contentType } }).formData()) as unknown as FormData;
  } catch (error) {
    return { error: (error as Error).message.slice(0, 120) };
  }
  const parts: BodyPart[] = [];
  const uninspected: string[] = [];
  const summary: string[] = [];
  for (const [name, value] of form as unknown as Iterable<[string, string | File]>) {
    if (typeof value === 'string') {
      parts.push({ where: `multipart field "${printable(name)}"`, name, text: value });
      summary.push(`field "${printable(name)}" (${Buffer.byteLength(value)} bytes)`);
      continue;
    }
    const bytes = Buffer.from(await value.arrayBuffer());
    const label = `file "${printable(name)}" (${printable(value.name)}, ${value.type || 'no type'}, ${bytes.length} bytes)`;
    if (isTextContent(value.type, bytes)) {
      parts.push({ where: `multipart file "${printable(name)}" (${printable(value.name)})`, name, text: bytes.toString('utf8') });
      summary.push(`${label}, text`);
    } else {
      uninspected.push(`multipart ${label}`);
      summary.push(`${label}, binary, not inspected`);
    }
  }
  return { parts, uninspected, summary: `multipart/form-data: ${summary.length} part${summary.length === 1 ? '' : 's'}: ${summary.join('; ')}` };
}
