import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { innerScript, PROXY_VARIABLE, SANDBOXED_MARK } from './inner-script.js';

const printArgsAndEnv = [process.execPath, '-e', 'console.log(JSON.stringify({ argv: process.argv.slice(1), env: process.env }))'];

function runScript(command: string[], env: Record<string, string>, newKeyring = false) {
  const r = spawnSync('/bin/bash', ['-c', innerScript({ command, noProxy: '127.0.0.1,localhost,::1', newKeyring, sshProxyPort: 3128 })], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return { ...r, out: r.stdout ? JSON.parse(r.stdout) : undefined };
}

describe('the script run inside the sandbox before the agent', () => {
  test('runs the command with its arguments exactly as given', () => {
    const args = ["it's", '$HOME', 'a\nb', '"quoted"', '', '`date`', '*'];
    const r = runScript([...printArgsAndEnv, ...args], { [PROXY_VARIABLE]: 'http://guardrun:tok@127.0.0.1:3128' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.out.argv).toEqual(args);
  });

  test('points every proxy variable at guardrun with the token, keeps loopback direct, and drops the carrier variable', () => {
    const proxy = 'http://guardrun:sk-guardrun-tok_en-1@127.0.0.1:3128';
    const r = runScript(printArgsAndEnv, { [PROXY_VARIABLE]: proxy, HTTPS_PROXY: 'http://localhost:3128', https_proxy: 'http://localhost:3128', NO_PROXY: '10.0.0.0/8' });
    const env = r.out.env;
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'GRPC_PROXY']) expect(env[name], name).toBe(proxy);
    expect(env.NO_PROXY).toBe('127.0.0.1,localhost,::1');
    expect(env.no_proxy).toBe('127.0.0.1,localhost,::1');
    expect(env[PROXY_VARIABLE]).toBeUndefined();
    expect(env[SANDBOXED_MARK]).toBe('1');
    expect(env.GIT_SSH_COMMAND).toContain('proxyport=3128,proxyauth=guardrun:sk-guardrun-tok_en-1');
  });

  test('refuses to run without its proxy setting', () => {
    const r = runScript(printArgsAndEnv, {});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/lost its proxy setting/);
  });

  test('on Linux it leaves the inherited kernel keyring first, and stops (78) when it cannot', () => {
    const r = runScript(printArgsAndEnv, { [PROXY_VARIABLE]: 'http://guardrun:t@127.0.0.1:3128', PATH: '/nonexistent' }, true);
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/could not leave the kernel keyring/);
  });
});
