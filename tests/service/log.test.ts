import { describe, expect, it } from 'vitest';
import { createLogger } from '../../service/log.js';

const failing = (code: string) => () => {
  throw Object.assign(new Error(`${code}: write`), { code });
};

describe('createLogger', () => {
  it('writes one JSON line with its time first', () => {
    const lines: string[] = [];
    createLogger(
      (line) => lines.push(line),
      () => 0,
    ).log({ level: 'info', msg: 'hello', n: 1 });
    expect(lines).toEqual([
      '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"hello","n":1}\n',
    ]);
  });

  it('drops a line that a stderr without a reader refuses (EPIPE), rather than throw', () => {
    expect(() => createLogger(failing('EPIPE')).log({ level: 'error', msg: 'x' })).not.toThrow();
  });

  it('throws any other write error', () => {
    expect(() => createLogger(failing('EBADF')).log({ level: 'error', msg: 'x' })).toThrow(/EBADF/);
  });
});
