// Pieces of a body guardrun reads part by part (forms, multipart), and the small helpers they share.
import { isUtf8 } from 'node:buffer';

/** A readable piece of a form or multipart body: where it is, and its text. */
export interface BodyPart {
  /** `form field "purpose"`, `multipart file "file" (.env)`. */
  where: string;
  name: string;
  text: string;
}

const TEXT_FILE_TYPES = /^(?:text\/|application\/(?:json|x-ndjson|jsonl|jsonlines|xml|yaml|x-yaml|toml|javascript|x-sh|x-www-form-urlencoded)\b)/i;

/** A file part's content is text when its type says so, or when it is UTF-8 without NUL bytes (a `.env` sent as octet-stream). */
export function isTextContent(type: string, bytes: Buffer): boolean {
  if (TEXT_FILE_TYPES.test(type)) return isUtf8(bytes);
  return isUtf8(bytes) && !bytes.includes(0);
}

export function printable(name: string): string {
  const short = name.length > 60 ? `${name.slice(0, 60)}…` : name;
  return short.replace(/[^\x20-\x7e]/g, '?');
}

