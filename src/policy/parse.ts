// Policy text → validated Policy, or an E_POLICY error naming the file, the line and the key. No I/O.
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { GuardrunError } from '../errors.js';
import { maskKeyLike } from '../secrets/terminal-text.js';
import { policySchema, type Policy } from './schema.js';

type Path = ReadonlyArray<PropertyKey>;

export function parsePolicy(text: string, fileName: string): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: '1.2', prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0].line ?? lineCounter.linePos(syntax.pos[0]).line;
    const what = maskKeyLike(syntax.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
    throw policyError(`${fileName}:${line}: invalid YAML: ${what}`, `fix the YAML syntax at line ${line} of ${fileName}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const detail = maskKeyLike(error instanceof Error ? error.message : String(error));
    throw policyError(`${fileName}:1: invalid YAML: ${detail}`, `fix the YAML in ${fileName}`);
  }
  if (value === null || value === undefined) {
    throw policyError(`${fileName}:1: the file is empty (expected a mapping starting with \`version: 1\`)`, 'run `guardrun init` to write a commented policy, or add `version: 1`');
  }
  const result = policySchema.safeParse(value);
  if (result.success) return result.data;

  // Every problem, in file order (zod walks the schema's order, not the file's), so one run shows them all.
  const located = result.error.issues
    .map((issue) => ({ issue, line: lineOf(doc, lineCounter, issue) }))
    .sort((a, b) => a.line - b.line);
  const problems = located.map(({ issue, line }) => {
    // The parts quoting the user's file are masked here, apart from each other: the key path before them is
    // guardrun's word (`secrets.outbound: expected …` is no labelled secret), and the error is printed as `masked`.
    const where = maskKeyLike(describePath(issue.path, value));
    return `${fileName}:${line}: ${where ? `${where}: ` : ''}${maskKeyLike(describeIssue(issue, value))}`;
  });
  const lines = [...new Set(located.map((l) => l.line))];
  if (problems.length === 1) {
    throw policyError(problems[0], `correct line ${lines[0]} of ${fileName}; every key is described in docs/policy.md`);
  }
  throw policyError(`${fileName} has ${problems.length} problems:\n  ${problems.join('\n  ')}`, `correct line${lines.length > 1 ? 's' : ''} ${lines.join(', ')} of ${fileName}; every key is described in docs/policy.md`);
}

/** An E_POLICY error whose quoted values were masked as it was built (see GuardrunError.masked). */
function policyError(message: string, fix: string): GuardrunError {
  return new GuardrunError('E_POLICY', message, fix, { masked: true });
}

/** The 1-based line of the node an issue is about (the unknown key itself for unknown keys). */
function lineOf(doc: Document, counter: LineCounter, issue: z.core.$ZodIssue): number {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const parent = path.length === 0 ? doc.contents : doc.getIn(path, true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && issue.keys.includes(String(p.key.value)));
      const key = pair?.key as Node | undefined;
      if (key?.range) return counter.linePos(key.range[0]).line;
    }
  }
  // A missing key has no node: walk up to the nearest ancestor that exists.
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as Node | null | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

/** `rules[1] (id: destructive-shell).match.text`: the key path, with rule ids where they help. */
function describePath(path: Path, root: unknown): string {
  let out = '';
  let node: unknown = root;
  for (const key of path) {
    if (typeof key === 'number') {
      out += `[${key}]`;
      node = Array.isArray(node) ? node[key] : undefined;
      const id = node && typeof node === 'object' ? (node as { id?: unknown }).id : undefined;
      if (typeof id === 'string' && id !== '') out += ` (id: ${id})`;
    } else {
      out += (out ? '.' : '') + String(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[String(key)] : undefined;
    }
  }
  return out;
}

function valueAt(path: Path, root: unknown): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key as string];
  }
  return node;
}

function typeName(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return String(value);
}

const ARTICLE: Record<string, string> = {
  string: 'a string', number: 'a number', boolean: 'true or false', array: 'a list', object: 'a mapping', int: 'an integer',
};

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const actual = valueAt(issue.path, root);
  switch (issue.code) {
    case 'invalid_type':
      if (actual === undefined) return `missing (expected ${ARTICLE[issue.expected] ?? issue.expected})`;
      return `expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${typeName(actual)}`;
    case 'invalid_value':
      if (issue.message.startsWith('expected')) return actual === undefined ? `missing (${issue.message})` : issue.message;
      if (actual === undefined) return `missing (expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')})`;
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${typeName(actual)}`;
    case 'invalid_union':
      {
        // zod 4 adds the allowed discriminator values, untyped, when no union branch matched.
        const options = (issue as { options?: unknown }).options;
        if (Array.isArray(options)) return `expected ${options.map((v) => JSON.stringify(v)).join(' | ')}, got ${typeName(actual)}`;
      }
      return issue.message;
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return issue.message.startsWith('expected') ? issue.message : 'expected a non-empty string';
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${typeName(actual)}`;
    case 'too_big':
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${typeName(actual)}`;
    default:
      return issue.message;
  }
}
