// What a secret looks like: the built-in detectors, plus the real keys and the policy's own patterns.
// Every token regex starts at a run boundary (lookbehind) and uses classes that cannot overlap their
// separators, so each attempt is bounded by one run: scanning stays linear on adversarial input.

import { GuardrunError } from '../errors.js';

export interface Detector {
  /** Stable id: appears as `[REDACTED:<id>]` and in session files. */
  id: string;
  description: string;
  /** Global regex. When it has a named group `secret`, only that group is masked (not the label). */
  regex: RegExp;
  /**
   * Matches, at the very end of a text, the unfinished start of a match that more text could still
   * complete or extend. The stream masker holds that tail back. Without one, the masker holds the
   * trailing token-like run, which is right for patterns that match within such a run.
   */
  tail?: RegExp;
  /**
   * Case-sensitive literals, one of which occurs in every match. The scanner finds all detectors'
   * triggers in one pass and skips the regex of a detector none of whose triggers occur.
   */
  triggers?: readonly string[];
  /** An exact value guardrun holds (a real or dummy key): found first, wins overlapping matches. */
  exact?: boolean;
}

export const escapeRegExp = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** Regex source matching any non-empty prefix of the atoms in order: a(?:b(?:c)?)? */
function prefixesOf(atoms: readonly string[]): string {
  let out = atoms[atoms.length - 1];
  for (let i = atoms.length - 2; i >= 0; i--) out = `${atoms[i]}(?:${out})?`;
  return out;
}
const literalAtoms = (s: string): string[] => [...s].map(escapeRegExp);

/** Tail of a token detector: a prefix of one of its literals, or a literal followed by body chars. */
function tokenTail(boundary: string, literals: readonly string[], body: string): RegExp {
  const partial = literals.map((l) => prefixesOf(literalAtoms(l))).join('|');
  const grown = literals.map(escapeRegExp).join('|');
  const lookbehind = boundary ? `(?<!${boundary})` : '';
  return new RegExp(`${lookbehind}(?:${partial}|(?:${grown})${body})$`);
}

/** A detector whose matches start with one of `triggers` and continue with `body` characters. */
function tokenDetector(
  id: string,
  description: string,
  regex: RegExp,
  tail: { boundary: string; triggers: readonly string[]; body: string },
): Detector {
  return { id, description, regex, triggers: tail.triggers, tail: tokenTail(tail.boundary, tail.triggers, tail.body) };
}

// Labels that announce a secret value (password-assignment). Bare "token" is left out on purpose:
// it would hit max_tokens / tokens_used in every request.
const KEYWORDS = [
  'password', 'passwd', 'passphrase', 'secret', 'api_key', 'api-key', 'apikey',
  'access_token', 'access-token', 'accesstoken', 'auth_token', 'auth-token', 'authtoken',
  'refresh_token', 'refresh-token', 'refreshtoken', 'private_key', 'private-key', 'privatekey',
];
const KEYWORD_RE = KEYWORDS.map(escapeRegExp).join('|');

/**
 * Values that are not secrets: empty-ish placeholders, template variables, type names, masks we wrote,
 * and code (calls, indexing, dotted references) that a coding agent must get back intact.
 * No alternative may look past the end of the value (the stream masker relies on that).
 */
const PLACEHOLDER =
  '<[^<>"\'`\\r\\n]{0,64}>|\\$\\{?[A-Za-z_]|\\{\\{|%[sd(]|\\*{3,}|x{4,}|\\.{3}|\\[REDACTED' +
  '|(?:null|none|nil|true|false|undefined|string|str|number|int|bool|boolean|any|object|optional' +
  '|required|changeme|example|placeholder|redacted|secret|password|your[_-]?[A-Za-z0-9_-]*)(?![\\w.-])' +
  '|(?:[A-Za-z_$][\\w$]*\\.)+[A-Za-z_$][\\w$]*(?![\\w$.-])|[A-Za-z_$][\\w$.]*[(\\[]';
const PLACEHOLDER_RE = new RegExp(`^(?:${PLACEHOLDER})`, 'i');

/** True when a labelled value is a placeholder or code rather than a secret (used for JSON keys too). */
export function isPlaceholderValue(value: string): boolean {
  return value.trim() === '' || PLACEHOLDER_RE.test(value);
}

/** Object keys whose string values are secrets as a whole (maskJson). */
export const SECRET_KEY_RE = new RegExp(`(?:${KEYWORD_RE})`, 'i');

const SEPARATOR = '["\'`]?[ \\t]{0,3}(?::=|=>|[:=])[ \\t]{0,3}';
const QUOTED_VALUE = '(?<=")[^"\\r\\n]{4,256}(?=")|(?<=\')[^\'\\r\\n]{4,256}(?=\')|(?<=`)[^`\\r\\n]{4,256}(?=`)';
const BARE_VALUE = '(?<!["\'`])[^\\s"\'`,;<>{}()[\\]]{6,256}';
const LABEL_SUFFIX = '[A-Za-z0-9_.-]{0,30}';
const passwordTail = new RegExp(
  `(?:${KEYWORDS.map((k) => prefixesOf(literalAtoms(k))).join('|')})$` +
    `|(?:${KEYWORD_RE})${LABEL_SUFFIX}(?:["'\`]?[ \\t]{0,3}(?:(?::=|=>|[:=]|:)[ \\t]{0,3}` +
    `(?:"[^"\\r\\n]{0,256}|'[^'\\r\\n]{0,256}|\`[^\`\\r\\n]{0,256}|[^\\s"'\`,;<>{}()[\\]]{0,256})?)?)?$`,
  'i',
);

const AWS_LABEL = '(?:aws)?_?secret_?access_?key';
const AWS_LABEL_REST = ['_?', ...literalAtoms('access'), '_?', 'k', 'e', 'y'];
const awsLabelPartial = [
  prefixesOf(['a', 'w', 's', '_?', ...literalAtoms('secret'), ...AWS_LABEL_REST]),
  prefixesOf(['_', ...literalAtoms('secret'), ...AWS_LABEL_REST]),
  prefixesOf([...literalAtoms('secret'), ...AWS_LABEL_REST]),
].join('|');

const PEM_HEAD = '-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----';
const PEM_BODY = '(?:(?!-----(?:BEGIN|END))[\\s\\S]){0,3900}';
const PEM_FOOT = '-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----';

const TOKEN = '[A-Za-z0-9_-]';

export const BUILTIN_DETECTORS: readonly Detector[] = [
  tokenDetector('anthropic-key', 'Anthropic API key (sk-ant-…)', /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}/g, {
    boundary: TOKEN,
    triggers: ['sk-ant-'],
    body: `${TOKEN}*`,
  }),
  tokenDetector(
    'openai-key',
    'OpenAI API key (sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…)',
    // A digit is required: real keys are random, prose like "sk-learn-compatible-…" is not.
    /(?<![A-Za-z0-9_-])sk-(?!ant-)(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,}/g,
    { boundary: TOKEN, triggers: ['sk-'], body: `${TOKEN}*` },
  ),
  tokenDetector(
    'aws-access-key-id',
    'AWS access key id (AKIA…, ASIA…)',
    /(?<![A-Za-z0-9])A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    { boundary: '[A-Za-z0-9]', triggers: ['AKIA', 'ASIA'], body: '[A-Z0-9]{0,16}' },
  ),
  {
    id: 'aws-secret-access-key',
    description: '40-character AWS secret access key after an aws_secret_access_key label',
    regex: new RegExp(`${AWS_LABEL}${SEPARATOR}["'\`]?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, 'gi'),
    tail: new RegExp(
      `(?:${awsLabelPartial})$|${AWS_LABEL}(?:["'\`]?[ \\t]{0,3}(?:(?::=|=>|[:=])[ \\t]{0,3}["'\`]?[A-Za-z0-9/+]{0,40})?)?$`,
      'i',
    ),
  },
  tokenDetector(
    'github-token',
    'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)',
    /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g,
    { boundary: '[A-Za-z0-9_]', triggers: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'], body: '[A-Za-z0-9_]*' },
  ),
  tokenDetector('gitlab-token', 'GitLab personal access token (glpat-…)', /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}/g, {
    boundary: TOKEN,
    triggers: ['glpat-'],
    body: `${TOKEN}*`,
  }),
  tokenDetector(
    'slack-token',
    'Slack token (xoxb-, xoxa-, xoxp-, xoxr-, xoxs-)',
    /(?<![A-Za-z0-9_-])xox[baprs]-[A-Za-z0-9-]{10,}/g,
    { boundary: TOKEN, triggers: ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-'], body: '[A-Za-z0-9-]*' },
  ),
  tokenDetector(
    'slack-webhook',
    'Slack incoming webhook URL',
    /https:\/\/hooks\.slack\.com\/services\/T[A-Za-z0-9_]+\/B[A-Za-z0-9_]+\/[A-Za-z0-9_]{8,}/g,
    { boundary: '', triggers: ['https://hooks.slack.com/services/'], body: '[A-Za-z0-9_/]*' },
  ),
  tokenDetector(
    'stripe-key',
    'Stripe secret or restricted key (sk_live_, rk_live_, sk_test_, rk_test_)',
    /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g,
    { boundary: '[A-Za-z0-9_]', triggers: ['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_'], body: '[A-Za-z0-9]*' },
  ),
  tokenDetector(
    'google-api-key',
    'Google API key (AIza + 35 characters)',
    /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g,
    { boundary: TOKEN, triggers: ['AIza'], body: `${TOKEN}{0,35}` },
  ),
  {
    id: 'private-key',
    description: 'PEM private key block (also an unterminated one at the end of the text)',
    regex: new RegExp(`${PEM_HEAD}${PEM_BODY}(?:${PEM_FOOT}|(?![\\s\\S]))`, 'g'),
    triggers: ['-----BEGIN'],
    tail: new RegExp(
      `(?:${prefixesOf(literalAtoms('-----BEGIN'))})$|-----BEGIN[ A-Z0-9]{0,40}-{0,4}$` +
        `|${PEM_HEAD}${PEM_BODY}(?:${prefixesOf(literalAtoms('-----END'))}|-----END[ A-Z0-9]{0,40}-{0,4})?$`,
    ),
  },
  tokenDetector(
    'jwt',
    'JSON Web Token (three base64url segments starting eyJ)',
    /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}/g,
    { boundary: TOKEN, triggers: ['eyJ'], body: '[A-Za-z0-9_.-]*' },
  ),
  {
    id: 'password-assignment',
    description: 'A value assigned to a password / secret / api_key style label (the label stays visible)',
    regex: new RegExp(
      `(?:${KEYWORD_RE})${LABEL_SUFFIX}${SEPARATOR}["'\`]?(?!${PLACEHOLDER})(?<secret>${QUOTED_VALUE}|${BARE_VALUE})`,
      'gi',
    ),
    tail: passwordTail,
  },
];

export interface ExactValue {
  id: string;
  value: string;
}
export interface PatternSpec {
  id: string;
  /** JavaScript regex source, or `/source/flags`. */
  regex: string;
}

/** An exact value as a detector; its tail is any prefix of the value at the end of the text. */
export function exactDetector({ id, value }: ExactValue): Detector {
  // The nested prefix regex stays small; past 256 characters, the head of the value decides.
  const head = value.slice(0, 256);
  const rest = value.length > head.length ? `|${escapeRegExp(head)}[\\s\\S]{0,${value.length - head.length}}` : '';
  return {
    id,
    description: `exact value held by guardrun (${id})`,
    regex: new RegExp(escapeRegExp(value), 'g'),
    tail: new RegExp(`(?:${prefixesOf(literalAtoms(head))}${rest})$`),
    exact: true,
  };
}

/** The literal every match of a regex source starts with ('' when unsure: alternation, classes…). */
export function leadingLiteral(source: string): string {
  if (source.includes('|')) return '';
  let out = '';
  for (let i = 0; i < source.length; i++) {
    let ch = source[i];
    if (ch === '\\') {
      ch = source[++i] ?? '';
      if (!/^[^A-Za-z0-9]$/.test(ch)) break; // \d, \w, \b, \1…: not a literal
    } else if ('^$.*+?()[]{}'.includes(ch)) break;
    const next = source[i + 1];
    if (next !== undefined && '*+?{'.includes(next)) break; // quantified: may be absent or repeated
    out += ch;
  }
  return out;
}

// Body of a policy pattern's match after its literal, as the stream masker assumes it: a token run.
const TOKEN_RUN_BODY = '[A-Za-z0-9_\\-+/=.]*';

function compilePattern({ id, regex }: PatternSpec): Detector {
  const literal = /^\/([\s\S]+)\/([dgimsuvy]*)$/.exec(regex);
  const source = literal ? literal[1] : regex;
  const flags = [...new Set((literal ? literal[2] : '').replace(/[gy]/g, '') + 'g')].join('');
  let compiled: RegExp;
  try {
    compiled = new RegExp(source, flags);
  } catch (error) {
    throw new GuardrunError(
      'E_POLICY',
      `secret pattern "${id}" is not a valid regular expression: ${(error as Error).message}`,
      `fix the regex of "${id}" in the policy's secret patterns (JavaScript syntax), or remove it`,
      { cause: error },
    );
  }
  const detector: Detector = { id, description: `policy pattern ${id}`, regex: compiled };
  const prefix = leadingLiteral(source);
  if (prefix.length >= 2) {
    const ignoreCase = compiled.ignoreCase ? 'i' : '';
    detector.tail = new RegExp(`(?:${prefixesOf(literalAtoms(prefix))}|${escapeRegExp(prefix)}${TOKEN_RUN_BODY})$`, ignoreCase);
    if (!ignoreCase) detector.triggers = [prefix];
  }
  return detector;
}

/**
 * The detectors for one session: exact values first (they win overlaps), then the built-ins, then the
 * policy's patterns. Empty exact values are ignored.
 */
export function compileDetectors(input: {
  exact?: readonly ExactValue[];
  patterns?: readonly PatternSpec[];
  builtins?: readonly Detector[];
}): Detector[] {
  const exact = (input.exact ?? []).filter((e) => e.value.length > 0).map(exactDetector);
  const patterns = (input.patterns ?? []).map(compilePattern);
  return [...exact, ...(input.builtins ?? BUILTIN_DETECTORS), ...patterns];
}
