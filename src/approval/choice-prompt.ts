// The approval menu: a small prompt built on @inquirer/core (the library's own extension point) because the
// stock select cannot answer on a digit or show the time left. A digit answers at once; ↑/↓ and Enter work
// too; the first line counts down to the automatic deny; the last line says what Ctrl-C does.
import { createPrompt, isDownKey, isEnterKey, isUpKey, makeTheme, useEffect, useKeypress, usePrefix, useState, type Theme } from '@inquirer/core';

export interface ChoicePromptConfig<V extends string> {
  message: string;
  choices: ReadonlyArray<{ value: V; name: string }>;
  /** When the question is denied for want of an answer (epoch ms); the countdown runs to it. */
  deadline: number;
  /** The line under the menu (what Ctrl-C does). */
  footer: string;
  theme?: Partial<Theme>;
}

/** `1:58`, `0:07`: minutes and seconds left, never negative. */
export function timeLeft(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export const choicePrompt = createPrompt(<V extends string>(config: ChoicePromptConfig<V>, done: (value: V) => void): string => {
  const theme = makeTheme(config.theme);
  const [active, setActive] = useState(0);
  const [status, setStatus] = useState<'idle' | 'done'>('idle');
  const [now, setNow] = useState(Date.now());
  const prefix = usePrefix({ status, theme });
  const count = config.choices.length;

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  useKeypress((key) => {
    const digit = /^[1-9]$/.test(key.name ?? '') ? Number(key.name) : NaN;
    if (digit >= 1 && digit <= count) {
      setStatus('done');
      done(config.choices[digit - 1].value);
    } else if (isEnterKey(key)) {
      setStatus('done');
      done(config.choices[active].value);
    } else if (isUpKey(key) || isDownKey(key)) {
      setActive((active + (isUpKey(key) ? count - 1 : 1)) % count);
    }
  });

  const style = theme.style;
  const head = `${prefix} ${style.message(config.message, status)}`;
  if (status === 'done') return `${head} ${style.answer(config.choices[active].name)}`;
  const hint = style.help(`1–${count}, or ↑↓ and Enter · denied in ${timeLeft(config.deadline - now)} without an answer`);
  const lines = config.choices.map((choice, i) => {
    const label = `${i + 1}. ${choice.name}`;
    return i === active ? style.highlight(`❯ ${label}`) : `  ${label}`;
  });
  return [`${head} ${hint}`, ...lines, style.help(config.footer)].join('\n');
});
