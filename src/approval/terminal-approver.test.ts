import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { PromptChoice, PromptFn, PromptIo } from './inquirer-prompt.js';
import { createSessionGrants } from './session-grants.js';
import { createTerminalApprover, type TerminalIo } from './terminal-approver.js';
import type { ApprovalRequest } from './types.js';

const request = (id: number, extra: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  id,
  phase: 'request',
  endpoint: 'POST /v1/chat/completions',
  model: 'gpt-4o',
  estimateUsd: 0.2,
  spendUsd: 0,
  reasons: [{ rule: 'cost.threshold', reason: 'above $0.10' }],
  excerpt: `question ${id}`,
  ...extra,
});

interface OpenPrompt {
  q: ApprovalRequest;
  io: PromptIo;
  answer(choice: PromptChoice): void;
  fail(error: Error): void;
}

/** A prompt that waits to be answered by the test, and rejects like @inquirer when its signal aborts. */
function fakePrompt(log: string[] = []) {
  const open: OpenPrompt[] = [];
  const prompt: PromptFn = (q, io) =>
    new Promise<PromptChoice>((resolve, reject) => {
      log.push(`prompt ${q.id}`);
      open.push({ q, io, answer: resolve, fail: reject });
      io.signal.addEventListener('abort', () => reject(Object.assign(new Error('Prompt was aborted'), { name: 'AbortPromptError' })));
    });
  return { prompt, open };
}

function fakeTerminal() {
  const opened: TerminalIo[] = [];
  const closed: TerminalIo[] = [];
  const openTerminal = vi.fn((): TerminalIo => {
    const io: TerminalIo = {
      input: new PassThrough(),
      output: Object.assign(new PassThrough(), { columns: 80 }),
      close: () => closed.push(io),
    };
    opened.push(io);
    return io;
  });
  return { openTerminal, opened, closed };
}


describe('createTerminalApprover', () => {
  it('opens the terminal lazily, shows one prompt at a time and answers queued asks in turn', async () => {
    const log: string[] = [];
    const { prompt, open } = fakePrompt(log);
    const terminal = fakeTerminal();
    const approver = createTerminalApprover({
      timeoutMs: 60_000,
      prompt,
      openTerminal: terminal.openTerminal,
      pause: () => void log.push('pause'),
      resume: () => void log.push('resume'),
    });
    expect(approver.mode).toBe('terminal');
    expect(terminal.openTerminal).not.toHaveBeenCalled();
    const answers = [1, 2, 3].map((id) => approver.ask(request(id)));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    // The others wait while the first is open.
    await new Promise((r) => setTimeout(r, 20));
    expect(open).toHaveLength(1);
    open[0].answer({ kind: 'once' });
    await vi.waitFor(() => expect(open).toHaveLength(2));
    open[1].answer({ kind: 'deny', reason: 'too expensive' });
    await vi.waitFor(() => expect(open).toHaveLength(3));
    open[2].answer({ kind: 'deny' });
    const [a1, a2, a3] = await Promise.all(answers);
    expect(a1).toMatchObject({ kind: 'allow', scope: 'once', by: 'human' });
    expect(a2).toMatchObject({ kind: 'deny', by: 'human', reason: 'too expensive' });
    expect(a3).toMatchObject({ kind: 'deny', by: 'human', reason: 'denied at the approval prompt' });
    expect(a1.kind === 'allow' && a1.humanMs >= 0).toBe(true);
    // Stopped once for the whole queue, so the child cannot print between two prompts.
    expect(log).toEqual(['pause', 'prompt 1', 'prompt 2', 'prompt 3', 'resume']);
    log.length = 0;
    expect(open.map((p) => p.q.id)).toEqual([1, 2, 3]);
    expect(terminal.openTerminal).toHaveBeenCalledTimes(1);
    expect(terminal.openTerminal).toHaveBeenCalledWith('/dev/tty');
    // Released once the queue is empty: an idle approver does not read the terminal.
    expect(terminal.closed).toEqual(terminal.opened);
    const later = approver.ask(request(4));
    await vi.waitFor(() => expect(open).toHaveLength(4));
    expect(terminal.openTerminal).toHaveBeenCalledTimes(2);
    open[3].answer({ kind: 'once' });
    await later;
    approver.close();
    expect(terminal.closed).toHaveLength(2);
  });

  it('denies by timeout when nobody answers in time', async () => {
    const { prompt } = fakePrompt();
    const resume = vi.fn();
    const approver = createTerminalApprover({ timeoutMs: 30, prompt, openTerminal: fakeTerminal().openTerminal, resume });
    const answer = await approver.ask(request(1));
    expect(answer).toMatchObject({ kind: 'deny', by: 'timeout' });
    expect(answer.kind === 'deny' && answer.reason).toContain('no answer at the approval prompt within 30 ms');
    expect(resume).toHaveBeenCalledTimes(1);
    approver.close();
  });

  it('turns Ctrl-C into a deny by the human and any other failure into a deny by error, never a throw', async () => {
    const { prompt, open } = fakePrompt();
    const terminal = fakeTerminal();
    const approver = createTerminalApprover({ timeoutMs: 60_000, prompt, openTerminal: terminal.openTerminal });
    const first = approver.ask(request(1));
    const second = approver.ask(request(2));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    open[0].fail(Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' }));
    expect(await first).toMatchObject({ kind: 'deny', by: 'human', reason: expect.stringContaining('cancelled at the prompt') });
    await vi.waitFor(() => expect(open).toHaveLength(2));
    open[1].fail(new Error('setRawMode EIO'));
    expect(await second).toMatchObject({ kind: 'deny', by: 'error', reason: expect.stringContaining('setRawMode EIO') });
    // The broken terminal was dropped; the next ask opens a fresh one.
    const third = approver.ask(request(3));
    await vi.waitFor(() => expect(open).toHaveLength(3));
    open[2].answer({ kind: 'once' });
    expect(await third).toMatchObject({ kind: 'allow' });
    expect(terminal.openTerminal).toHaveBeenCalledTimes(2);
    approver.close();
  });

  it('denies by error when the terminal cannot be opened, without pausing the child', async () => {
    const pause = vi.fn();
    const approver = createTerminalApprover({
      timeoutMs: 1000,
      ttyPath: '/nonexistent/tty',
      pause,
      prompt: fakePrompt().prompt,
    });
    const answer = await approver.ask(request(1));
    expect(answer).toMatchObject({ kind: 'deny', by: 'error' });
    expect(answer.kind === 'deny' && answer.reason).toContain('/nonexistent/tty: ENOENT');
    expect(pause).not.toHaveBeenCalled();
  });

  it('denies by error when the terminal goes away while the prompt is open', async () => {
    const { prompt, open } = fakePrompt();
    const terminal = fakeTerminal();
    const approver = createTerminalApprover({ timeoutMs: 60_000, prompt, openTerminal: terminal.openTerminal });
    const answer = approver.ask(request(1));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    (terminal.opened[0].input as PassThrough).destroy();
    expect(await answer).toMatchObject({ kind: 'deny', by: 'error', reason: expect.stringContaining('terminal went away') });
    expect(terminal.closed).toHaveLength(1);
  });

  it('answers queued asks covered by a session grant without a second prompt', async () => {
    const { prompt, open } = fakePrompt();
    const grants = createSessionGrants();
    const hooks: string[] = [];
    const approver = createTerminalApprover({
      timeoutMs: 60_000,
      prompt,
      openTerminal: fakeTerminal().openTerminal,
      grants,
      pause: () => void hooks.push('pause'),
      resume: () => void hooks.push('resume'),
    });
    const first = approver.ask(request(1));
    const sameRuleAndModel = approver.ask(request(2));
    const otherModel = approver.ask(request(3, { model: 'gpt-4o-mini' }));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    open[0].answer({ kind: 'session' });
    expect(await first).toMatchObject({ kind: 'allow', scope: 'session', by: 'human' });
    expect(await sameRuleAndModel).toMatchObject({ kind: 'allow', scope: 'session', fromGrant: true, humanMs: 0 });
    await vi.waitFor(() => expect(open).toHaveLength(2));
    expect(open[1].q.id).toBe(3);
    open[1].answer({ kind: 'once' });
    expect(await otherModel).toMatchObject({ kind: 'allow', scope: 'once' });
    expect(grants.covers(request(9).reasons, 'gpt-4o')).toBe(true);
    expect(grants.covers(request(9).reasons, 'gpt-4o-mini')).toBe(false);
    expect(hooks).toEqual(['pause', 'resume']);
    // Alone in the queue, a covered ask neither prompts nor touches the child.
    expect(await approver.ask(request(4))).toMatchObject({ fromGrant: true });
    expect(hooks).toEqual(['pause', 'resume']);
    approver.close();
  });

  it('close() denies the open question, resumes the child, releases the terminal and denies later asks', async () => {
    const { prompt, open } = fakePrompt();
    const terminal = fakeTerminal();
    const resume = vi.fn();
    const approver = createTerminalApprover({ timeoutMs: 60_000, prompt, openTerminal: terminal.openTerminal, resume });
    const answer = approver.ask(request(1));
    const queued = approver.ask(request(2));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    approver.close();
    expect(resume).toHaveBeenCalledTimes(1); // synchronously, so an exiting guardrun never leaves the child stopped
    expect(terminal.closed).toHaveLength(1);
    expect(await answer).toMatchObject({ kind: 'deny', by: 'error', reason: expect.stringContaining('shutting down') });
    expect(await queued).toMatchObject({ kind: 'deny', by: 'error' });
    expect(await approver.ask(request(3))).toMatchObject({ kind: 'deny', by: 'error' });
    expect(open).toHaveLength(1);
    expect(resume).toHaveBeenCalledTimes(1);
  });

  it('waits for an async pause before drawing, and a close() during it means no prompt', async () => {
    const log: string[] = [];
    const { prompt, open } = fakePrompt(log);
    let release!: () => void;
    let pauses = 0;
    const approver = createTerminalApprover({
      timeoutMs: 60_000,
      prompt,
      openTerminal: fakeTerminal().openTerminal,
      pause: () => new Promise<void>((resolve) => ((pauses += 1), (release = () => (log.push('stopped'), resolve())))),
      resume: () => void log.push('resume'),
    });
    const answer = approver.ask(request(1));
    await vi.waitFor(() => expect(pauses).toBe(1));
    expect(open).toHaveLength(0);
    release();
    await vi.waitFor(() => expect(open).toHaveLength(1));
    expect(log).toEqual(['stopped', 'prompt 1']);
    open[0].answer({ kind: 'once' });
    expect(await answer).toMatchObject({ kind: 'allow' });

    const second = approver.ask(request(2));
    await vi.waitFor(() => expect(pauses).toBe(2));
    approver.close(); // while the second pause is still pending
    release();
    expect(await second).toMatchObject({ kind: 'deny', by: 'error', reason: expect.stringContaining('shutting down') });
    expect(open).toHaveLength(1);
    expect(log.at(-1)).toBe('resume');
  });

  it('reports a signal to guardrun during the prompt as an error, not as the human', async () => {
    const { prompt, open } = fakePrompt();
    const approver = createTerminalApprover({ timeoutMs: 60_000, prompt, openTerminal: fakeTerminal().openTerminal });
    const answer = approver.ask(request(1));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    open[0].fail(Object.assign(new Error('User force closed the prompt with 0 SIGTERM'), { name: 'ExitPromptError' }));
    expect(await answer).toMatchObject({ kind: 'deny', by: 'error' });
    approver.close();
  });

  it('draws without colours under NO_COLOR and with them otherwise', async () => {
    const levels: number[] = [];
    const prompt: PromptFn = async (_q, io) => (levels.push(io.colors.level), { kind: 'once' });
    for (const env of [{ NO_COLOR: '1' }, {}]) {
      const approver = createTerminalApprover({ timeoutMs: 1000, prompt, openTerminal: fakeTerminal().openTerminal, env });
      await approver.ask(request(1));
      approver.close();
    }
    expect(levels).toEqual([0, 1]);
  });

  it('still asks when pause or resume throw (the child may be gone)', async () => {
    const { prompt, open } = fakePrompt();
    const approver = createTerminalApprover({
      timeoutMs: 60_000,
      prompt,
      openTerminal: fakeTerminal().openTerminal,
      pause: () => {
        throw new Error('ESRCH');
      },
      resume: () => {
        throw new Error('ESRCH');
      },
    });
    const answer = approver.ask(request(1));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    open[0].answer({ kind: 'once' });
    expect(await answer).toMatchObject({ kind: 'allow', scope: 'once' });
    approver.close();
  });

  it('"deny for the rest of this session": later asks for that rule and model are denied without a prompt', async () => {
    const { prompt, open } = fakePrompt();
    const terminal = fakeTerminal();
    const approver = createTerminalApprover({ timeoutMs: 60_000, prompt, openTerminal: terminal.openTerminal });
    const first = approver.ask(request(1));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    open[0].answer({ kind: 'deny-session' });
    expect(await first).toMatchObject({ kind: 'deny', by: 'human', reason: expect.stringContaining('for the rest of this session') });
    expect(await approver.ask(request(2))).toMatchObject({ kind: 'deny', fromGrant: true });
    // Another model is asked again.
    const other = approver.ask(request(3, { model: 'gpt-4.1' }));
    await vi.waitFor(() => expect(open).toHaveLength(2));
    open[1].answer({ kind: 'once' });
    expect(await other).toMatchObject({ kind: 'allow', scope: 'once' });
    approver.close();
  });

  it('prints one line saying what happened in place of the cleared menu', async () => {
    const { prompt, open } = fakePrompt();
    const terminal = fakeTerminal();
    const approver = createTerminalApprover({ timeoutMs: 60_000, prompt, openTerminal: terminal.openTerminal, env: { NO_COLOR: '1' } });
    const answer = approver.ask(request(7));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    let written = '';
    open[0].io.output.on('data', (chunk: Buffer) => (written += chunk.toString()));
    open[0].answer({ kind: 'session' });
    await answer;
    expect(written).toBe('✔ request #7 allowed for the rest of this session\n');
    approver.close();
  });

  it('Ctrl-C twice within 3 s asks to stop the run; once does not', async () => {
    const { prompt, open } = fakePrompt();
    const terminal = fakeTerminal();
    const stopRun = vi.fn();
    const approver = createTerminalApprover({ timeoutMs: 60_000, prompt, openTerminal: terminal.openTerminal, stopRun });
    const ctrlC = () => Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    const first = approver.ask(request(1));
    await vi.waitFor(() => expect(open).toHaveLength(1));
    open[0].fail(ctrlC());
    expect(await first).toMatchObject({ kind: 'deny', reason: expect.stringContaining('(Ctrl-C)') });
    expect(stopRun).not.toHaveBeenCalled();
    expect(approver.recentCtrlC?.()).toBe(true);
    const second = approver.ask(request(2));
    await vi.waitFor(() => expect(open).toHaveLength(2));
    open[1].fail(ctrlC());
    expect(await second).toMatchObject({ kind: 'deny', reason: expect.stringContaining('Ctrl-C twice') });
    expect(stopRun).toHaveBeenCalledTimes(1);
    approver.close();
  });
});
