import { describe, expect, it } from 'vitest';
import { fdWriter } from '../../service/node/fd-writer.js';

describe('fdWriter', () => {
  it('writes on from where a short write stopped, and waits for a full pipe instead of dropping', () => {
    const written: string[] = [];
    const waits: number[] = [];
    // A pipe that takes 3 bytes, is full once, then takes the rest.
    const answers: (number | 'EAGAIN')[] = [3, 'EAGAIN', Number.POSITIVE_INFINITY];
    const write = fdWriter(
      1,
      (fd, bytes, offset) => {
        expect(fd).toBe(1);
        const answer = answers.shift()!;
        if (answer === 'EAGAIN') throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
        const n = Math.min(answer, bytes.length - offset);
        written.push(Buffer.from(bytes.subarray(offset, offset + n)).toString());
        return n;
      },
      (ms) => waits.push(ms),
    );
    write('héllo\n');
    expect(written).toEqual(['hé', 'llo\n']);
    expect(waits).toEqual([1]);
  });

  it('waits longer while the pipe stays full, up to 50 ms, and from 1 ms again after a write', () => {
    const waits: number[] = [];
    const answers: (number | 'EAGAIN')[] = [
      ...Array<'EAGAIN'>(8).fill('EAGAIN'),
      1,
      'EAGAIN',
      Number.POSITIVE_INFINITY,
    ];
    const write = fdWriter(
      1,
      (_fd, bytes, offset) => {
        const answer = answers.shift()!;
        if (answer === 'EAGAIN') throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
        return Math.min(answer, bytes.length - offset);
      },
      (ms) => waits.push(ms),
    );
    write('ab');
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 50, 50, 1]);
  });

  it('throws any other error (a reader that has gone), as a failed stdout write would', () => {
    const epipe = Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE' });
    const write = fdWriter(
      1,
      () => {
        throw epipe;
      },
      () => {
        throw new Error('must not wait');
      },
    );
    expect(() => write('line\n')).toThrow(epipe);
  });
});
