// The child guardrun runs in the bench: tells the bench where guardrun's proxy listens and which dummy key
// to use, for each provider it has a key for (one JSON line on stdout), then waits until stdin closes or SIGTERM.
import { fstatSync } from 'node:fs';

process.stdout.write(
  `${JSON.stringify({
    OPENAI_BASE_URL: process.env.OPENAI_BASE_URL ?? null,
    OPENAI_API_KEY: process.env.OPENAI_API_KEY ?? null,
    ANTHROPIC_BASE_URL: process.env.ANTHROPIC_BASE_URL ?? null,
    ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY ?? null,
  })}\n`,
);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGHUP', () => process.exit(0));

const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  // The bench holds the other end: when it goes (even killed), stdin closes and this child leaves.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
} else {
  // Not a pipe (e.g. /dev/null): wait for a signal, but never outlive a bench run by much.
  setTimeout(() => process.exit(0), 60 * 60 * 1000);
}
