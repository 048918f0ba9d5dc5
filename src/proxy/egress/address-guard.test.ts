import { describe, expect, test } from 'vitest';
import { isLocalAddress, resolveDialable } from './address-guard.js';

describe('addresses guardrun does not dial for a tunnel unless named', () => {
  test.each([
    ['127.0.0.1', true], ['127.255.0.9', true], ['0.0.0.0', true], ['169.254.169.254', true], ['::1', true], ['::', true],
    ['fe80::1', true], ['::ffff:127.0.0.1', true], ['::ffff:169.254.169.254', true],
    ['10.0.0.1', false], ['192.168.1.1', false], ['93.184.216.34', false], ['2606:4700::1111', false], ['not-an-ip', false],
  ])('%s local: %s', (address, local) => {
    expect(isLocalAddress(address)).toBe(local);
  });

  const never = () => false;
  test('a name that resolves to loopback is refused (DNS can point anywhere)', async () => {
    expect(await resolveDialable('sneaky.example', 80, never, async () => ['127.0.0.1'])).toEqual({ refused: 'local', addresses: ['127.0.0.1'] });
  });

  test('the first address that may be dialled is the one used, and the name is not looked up again', async () => {
    let lookups = 0;
    const resolve = async () => {
      lookups++;
      return ['::1', '93.184.216.34'];
    };
    expect(await resolveDialable('mixed.example', 443, never, resolve)).toEqual({ address: '93.184.216.34' });
    expect(lookups).toBe(1);
  });

  test('a local address named in network.allow is dialled; an IP literal needs no lookup', async () => {
    const allows = (address: string, port: number) => address === '127.0.0.1' && port === 8080;
    expect(await resolveDialable('127.0.0.1', 8080, allows, async () => { throw new Error('no lookup expected'); })).toEqual({ address: '127.0.0.1' });
    expect(await resolveDialable('127.0.0.1', 9090, allows)).toEqual({ refused: 'local', addresses: ['127.0.0.1'] });
  });

  test('a name that does not resolve says so', async () => {
    expect(await resolveDialable('nowhere.invalid', 443, never, async () => { throw Object.assign(new Error('x'), { code: 'ENOTFOUND' }); })).toEqual({ error: 'ENOTFOUND' });
  });
});
