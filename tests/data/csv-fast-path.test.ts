// The byte-level fast path in loadDataset must give exactly what a plain string parser gives
// (Number() on each trimmed cell), and decline to the general path, with its errors, on anything
// else. The reference below is deliberately simple and independent of src/data/csv.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/csv.js';
import { seededRandom } from '../../src/data/split.js';
import { tempDir } from '../support/fixtures.js';

const dir = tempDir();
let files = 0;
function csv(text: string | Buffer): string {
  const file = join(dir, `case-${files++}.csv`);
  writeFileSync(file, text);
  return file;
}

function splitCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** The simple reference: strings everywhere, Number() on each trimmed numeric cell. */
function reference(text: string, target: string) {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const header = splitCells(lines[0]!.replace(/\r$/, ''));
  const t = header.indexOf(target);
  const x: number[] = [];
  const labels: string[] = [];
  for (const raw of lines.slice(1)) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    const cells = splitCells(line);
    cells.forEach((cell, c) => {
      const v = cell.trim();
      if (c === t) labels.push(v);
      else x.push(v === '' || v === 'NA' || v === 'NaN' ? Number.NaN : Number(v));
    });
  }
  return { x, labels };
}

function expectSameAsReference(text: string): void {
  const file = csv(text);
  const data = loadDataset(file, { target: 'y', positiveClass: 'pos' });
  const ref = reference(text, 'y');
  expect(data.x.length).toBe(ref.x.length);
  // The first value that differs (Object.is: NaN equals NaN, and -0 is not 0), if any; comparing
  // whole arrays would make a failure on a few megabytes take minutes to print.
  const bad = ref.x.findIndex((v, i) => !Object.is(v, data.x[i]));
  expect(bad < 0 ? null : { index: bad, got: data.x[bad], want: ref.x[bad] }).toBeNull();
  const labels = ref.labels.map((l) => (l === 'pos' ? 1 : 0));
  expect(labels.findIndex((v, i) => v !== data.y[i])).toBe(-1);
}

describe('the CSV fast path agrees with a plain string parser', () => {
  it.each([
    ['plain decimals', 'a,b,y\n1.5,2,pos\n-3.25,0.001,neg\n'],
    ['CRLF line endings', 'a,b,y\r\n1.5,2,pos\r\n3,4,neg\r\n'],
    ['a byte-order mark', '\uFEFFa,b,y\n1,2,pos\n3,4,neg\n'],
    ['no final newline', 'a,b,y\n1,2,pos\n3,4,neg'],
    ['blank lines', 'a,b,y\n1,2,pos\n\n3,4,neg\n\r\n'],
    ['exponents', 'a,b,y\n1e3,2.5E-4,pos\n-1.5e+2,6e0,neg\n7e-300,1e22,pos\n'],
    ['negatives, plus signs and zeros', 'a,b,y\n-0,+2,pos\n-0.0,000.5,neg\n0,-000,pos\n'],
    ['leading and trailing points', 'a,b,y\n.5,5.,pos\n-.25,0.,neg\n'],
    ['missing cells and NA', 'a,b,y\n,2,pos\n3,,neg\nNA,NaN,pos\n'],
    ['spaces and tabs around values', 'a,b,y\n 1.5 ,\t2,pos\n3, 4 , neg \n'],
    ['quoted cells', 'a,b,y\n"1.5",2,"pos"\n3,"4",neg\n"-5e1","",pos\n'],
    ['the target in the middle', 'a,y,b\n1,pos,2\n3,neg,4\n'],
    [
      'more than 15 significant digits',
      'a,b,y\n0.1234567890123456789,12345678901234567890,pos\n3,4,neg\n',
    ],
    [
      'tiny and huge values beyond the fast range',
      'a,b,y\n1e-400,4.9e-324,pos\n1.7976931348623157e308,123e-30,neg\n',
    ],
    ['a label first seen with spaces', 'a,b,y\n1,2, pos\n3,4,pos\n5,6,neg\n'],
    // A CR not followed by LF is part of the cell, not the end of the line.
    ['a bare label holding a carriage return', 'a,b,y\n1,2,pos\n3,4,n\ro\n5,6,n\ro\n7,8,pos\n'],
    ['a quoted label holding a carriage return', 'a,b,y\n1,2,pos\n3,4,"n\ro"\n5,6,n\ro\n'],
    ['a carriage return inside a middle label', 'a,y,b\n1,pos,2\n3,n\ro,4\r\n5,n\ro,6\n'],
  ])('%s', (_name, text) => {
    expectSameAsReference(text);
  });

  it('agrees on a few megabytes of random cells, across the 1 MiB read boundaries', () => {
    const random = seededRandom(3);
    const header = 'a,b,c,y,d';
    const lines = [header];
    for (let i = 0; i < 60_000; i++) {
      const cell = () => {
        const r = random();
        if (r < 0.03) return '';
        if (r < 0.05) return (random() * 1e6).toExponential(3);
        if (r < 0.06) return `"${(random() - 0.5).toFixed(4)}"`;
        if (r < 0.07) return String(random() * 100 - 50); // up to 17 digits
        return ((random() - 0.5) * 10 ** Math.floor(random() * 6)).toFixed(
          Math.floor(random() * 7),
        );
      };
      lines.push([cell(), cell(), cell(), random() < 0.4 ? 'pos' : 'neg', cell()].join(','));
    }
    expectSameAsReference(`${lines.join('\n')}\n`);
    expectSameAsReference(`${lines.join('\r\n')}\r\n`);
  });
});

describe('the CSV fast path still reports bad values where they are', () => {
  const opts = { target: 'y', positiveClass: 'pos' };
  it.each([
    ['1.2.3', "line 3, column 'b': '1.2.3' is not a number"],
    ['-', "line 3, column 'b': '-' is not a number"],
    ['.', "line 3, column 'b': '.' is not a number"],
    ['1e', "line 3, column 'b': '1e' is not a number"],
    ['12abc', "line 3, column 'b': '12abc' is not a number"],
    ['Infinity', "line 3, column 'b': 'Infinity' is not a number"],
    ['1e999', "line 3, column 'b': '1e999' is not a number"],
    // Number() reads these; a data file does not mean them as measurements.
    ['0x2A', "line 3, column 'b': '0x2A' is not a number"],
    ['0b1', "line 3, column 'b': '0b1' is not a number"],
    ['0o7', "line 3, column 'b': '0o7' is not a number"],
    ['-Infinity', "line 3, column 'b': '-Infinity' is not a number"],
    ['+Infinity', "line 3, column 'b': '+Infinity' is not a number"],
    [' 0x2A ', "line 3, column 'b': '0x2A' is not a number"],
    ['"0x2A"', "line 3, column 'b': '0x2A' is not a number"],
    ['"Infinity"', "line 3, column 'b': 'Infinity' is not a number"],
    ['nan', "line 3, column 'b': 'nan' is not a number"],
    ['N/A', "line 3, column 'b': 'N/A' is not a number"],
  ])('%s', (bad, message) => {
    const file = csv(`a,b,y\n1,2,pos\n3,${bad},neg\n4,5,pos\n`);
    expect(() => loadDataset(file, opts)).toThrow(`${file} ${message}`);
  });

  it('says what it expected: a decimal number, or a missing value written as empty, NA or NaN', () => {
    const file = csv('a,b,y\n1,0x2A,pos\n');
    expect(() => loadDataset(file, opts)).toThrow(
      `${file} line 2, column 'b': '0x2A' is not a number; expected a finite decimal number such as -1.5 or 2e-3, or an empty cell, NA or NaN for a missing value.`,
    );
  });

  it('reads a cell of only non-breaking spaces as missing, as it reads a blank one, not as 0', () => {
    const file = csv('a,b,y\n1,\u00a0,pos\n2,"\u00a0",neg\n3,\u00a04.5\u00a0,pos\n');
    const data = loadDataset(file, opts);
    expect(Array.from(data.x)).toEqual([1, Number.NaN, 2, Number.NaN, 3, 4.5]);
  });

  it('names the line of a ragged row with too many cells', () => {
    const file = csv('a,b,y\n1,2,pos\n3,4,neg,9\n');
    expect(() => loadDataset(file, opts)).toThrow(
      `${file} line 3: 4 cells; expected 3 to match the header.`,
    );
  });

  it('counts blank lines in line numbers', () => {
    const file = csv('a,b,y\n1,2,pos\n\n3,x,neg\n');
    expect(() => loadDataset(file, opts)).toThrow(
      `${file} line 4, column 'b': 'x' is not a number`,
    );
  });

  it('names the line of a missing target after many good rows', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => `${i},${i / 7},${i % 3 ? 'pos' : 'neg'}`);
    const file = csv(`a,b,y\n${rows.join('\n')}\n1,2,\n`);
    expect(() => loadDataset(file, opts)).toThrow(
      `${file} line 50002, column 'y': the target is missing`,
    );
  });

  it("loads labels 'yes' and 'n\\ro' as two classes, finding no phantom class 'n'", () => {
    const file = csv('a,y\n1,yes\n2,n\ro\n3,"n\ro"\n4,yes\n');
    const data = loadDataset(file, { target: 'y', positiveClass: 'yes' });
    expect(data.classes).toEqual(['n\ro', 'yes']);
    expect(Array.from(data.y)).toEqual([1, 0, 0, 1]);
  });

  it('names a third class at its line', () => {
    const file = csv('a,y\n1,pos\n2,neg\n3,pos\n4,maybe\n');
    expect(() => loadDataset(file, opts)).toThrow("line 5, column 'y': a third class 'maybe'");
  });
});
