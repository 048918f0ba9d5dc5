// Every body kind the APIs use is read, so what is checked is what leaves; what would read differently to
// guardrun and an upstream is refused.
import { describe, expect, it } from 'vitest';
import { readBody } from './read-body.js';

const multipart = (parts: string[]): Buffer => Buffer.from(parts.map((p) => `--XB\r\n${p}\r\n`).join('') + '--XB--\r\n');

describe('readBody', () => {
  it.each([
    ['application/json', '{"a":1}', 'json'],
    ['application/json; charset=utf-8', '[1,2]', 'json'],
    ['text/plain', '{"model":"x"}', 'json'], // sniffed: an upstream may parse it whatever its label
    ['', '  {"model":"x"}', 'json'],
    ['text/plain', 'hello', 'text'],
    ['application/octet-stream', 'just text', 'text'],
    ['text/plain', '{not json', 'text'],
    ['application/x-www-form-urlencoded', 'a=1&b=two+words', 'form'],
  ])('%s %j → %s', async (type, body, kind) => {
    expect(await readBody(Buffer.from(body), type)).toMatchObject({ kind });
  });

  it('reads form fields decoded', async () => {
    const read = await readBody(Buffer.from('token=sk%2Dant%2Dx&note=a+b'), 'application/x-www-form-urlencoded');
    expect(read).toMatchObject({ kind: 'form', parts: [{ where: 'form field "token"', text: 'token=sk-ant-x' }, { text: 'note=a b' }] });
  });

  it.each([
    ['application/json', '{"a":1', 'guardrun_malformed_json'],
    ['application/json', '{"a":1,"a":2}', 'guardrun_duplicate_json_keys'],
    ['application/json', '['.repeat(600) + ']'.repeat(600), 'guardrun_json_too_deep'],
    ['text/plain', '{"a":1,"a":2}', 'guardrun_duplicate_json_keys'],
  ])('refuses %s %j (%s), keeping the text to record masked', async (type, body, code) => {
    const read = await readBody(Buffer.from(body), type);
    expect(read).toMatchObject({ refused: { error: { status: 400, code }, text: body } });
  });

  it('refuses JSON that is not UTF-8, without its text; binary that is not JSON is uninspected', async () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const refused = await readBody(bad, 'application/json');
    expect(refused).toMatchObject({ refused: { error: { code: 'guardrun_body_not_utf8' } } });
    expect('refused' in refused && refused.refused.text).toBeUndefined();
    expect(await readBody(Buffer.from([0, 1, 0xff]), 'application/octet-stream')).toMatchObject({ kind: 'binary', uninspected: ['a application/octet-stream body of 3 bytes'] });
  });

  it('reads multipart fields and text files, lists binary files as uninspected', async () => {
    const body = multipart([
      'Content-Disposition: form-data; name="purpose"\r\n\r\nfine-tune',
      'Content-Disposition: form-data; name="file"; filename=".env"\r\nContent-Type: application/octet-stream\r\n\r\nAWS_SECRET_ACCESS_KEY=x',
      'Content-Disposition: form-data; name="audio"; filename="a.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n\u0000\u0001binary',
    ]);
    const read = await readBody(body, 'multipart/form-data; boundary=XB');
    expect(read).toMatchObject({
      kind: 'multipart',
      parts: [{ where: 'multipart field "purpose"', text: 'fine-tune' }, { where: 'multipart file "file" (.env)', text: 'AWS_SECRET_ACCESS_KEY=x' }],
      uninspected: ['multipart file "audio" (a.mp3, audio/mpeg, 8 bytes)'],
    });
    expect('summary' in read && read.summary).toContain('3 parts');
    expect(await readBody(Buffer.from('garbage'), 'multipart/form-data; boundary=XB')).toMatchObject({ refused: { error: { code: 'guardrun_body_malformed' } } });
  });
});
