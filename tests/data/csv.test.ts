import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset, loadFeatureTable } from '../../src/data/csv.js';
import { tempDir, writeOtherCsv } from '../support/fixtures.js';

const dir = tempDir();
function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
const opts = { target: 'y', positiveClass: 'pos' };

describe('loadDataset', () => {
  it('loads WDBC with its 30 named features and malignant as the positive class', () => {
    const data = loadDataset('data/wdbc.csv', { target: 'diagnosis', positiveClass: 'malignant' });
    expect(data.rowCount).toBe(569);
    expect(data.featureNames).toHaveLength(30);
    expect(data.featureNames[0]).toBe('mean radius');
    expect(data.featureNames[29]).toBe('worst fractal dimension');
    expect(data.classes).toEqual(['benign', 'malignant']);
    expect(data.y.reduce((a, b) => a + b, 0)).toBe(212);
    expect(data.x[0]).toBe(17.99);
  });

  it('reads a different data set with string labels and empty cells as NaN', () => {
    const { file } = writeOtherCsv(dir, 50);
    const data = loadDataset(file, { target: 'outcome', positiveClass: 'yes' });
    expect(data.featureNames).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    expect(data.rowCount).toBe(50);
    expect(Array.from(data.x).some(Number.isNaN)).toBe(true);
  });

  it('honours quoted cells and CRLF line endings', () => {
    const file = csv('quoted.csv', '"a",b,y\r\n"1.5",2,pos\r\n3,"4",neg\r\n');
    const data = loadDataset(file, opts);
    expect(Array.from(data.x)).toEqual([1.5, 2, 3, 4]);
  });

  it('names the line for a ragged row', () => {
    const file = csv('ragged.csv', 'a,b,y\n1,2,pos\n3,neg\n');
    expect(() => loadDataset(file, opts)).toThrow(
      `${file} line 3: 2 cells; expected 3 to match the header.`,
    );
  });

  it('names the line and column of a non-numeric cell', () => {
    const file = csv('text.csv', 'a,b,y\n1,2,pos\n3,abc,neg\n');
    expect(() => loadDataset(file, opts)).toThrow(
      `${file} line 3, column 'b': 'abc' is not a number`,
    );
  });

  it('names the line of a missing target', () => {
    const file = csv('notarget.csv', 'a,b,y\n1,2,pos\n3,4,\n');
    expect(() => loadDataset(file, opts)).toThrow(
      `${file} line 3, column 'y': the target is missing`,
    );
  });

  it('refuses a single class', () => {
    const file = csv('single.csv', 'a,y\n1,pos\n2,pos\n');
    expect(() => loadDataset(file, opts)).toThrow("column 'y' has a single class ('pos')");
  });

  it('refuses a third class at the line where it appears', () => {
    const file = csv('three.csv', 'a,y\n1,pos\n2,neg\n3,other\n');
    expect(() => loadDataset(file, opts)).toThrow("line 4, column 'y': a third class 'other'");
  });

  it('lists the header when the target column is absent', () => {
    const file = csv('nocol.csv', 'a,b\n1,2\n');
    expect(() => loadDataset(file, opts)).toThrow("no target column 'y'; the header has 'a', 'b'");
  });

  it('says when the positive class never appears', () => {
    const file = csv('nopos.csv', 'a,y\n1,x\n2,z\n');
    expect(() => loadDataset(file, opts)).toThrow("positive class 'pos' never appears");
  });
});

describe('loadFeatureTable', () => {
  it('reorders columns by name and ignores the target and extra columns', () => {
    const file = csv('batch.csv', 'b,extra,a,y\n2,9,1,pos\n4,9,3,neg\n');
    const table = loadFeatureTable(file, ['a', 'b']);
    expect(Array.from(table.x)).toEqual([1, 2, 3, 4]);
  });

  it('names the missing feature columns', () => {
    const file = csv('missing.csv', 'a\n1\n');
    expect(() => loadFeatureTable(file, ['a', 'b'])).toThrow(
      "missing.csv: missing feature column 'b'; expected all of the 2 features; the header has 'a'.",
    );
  });

  it('lists the columns nothing asked for, where a misspelt feature name usually is', () => {
    const file = csv('typo.csv', 'tenure,tickets,outcome\n1,2,yes\n3,4,no\n');
    expect(() =>
      loadDataset(file, {
        target: 'outcome',
        positiveClass: 'yes',
        features: ['tenure', 'tickts'],
      }),
    ).toThrow(
      "typo.csv: missing feature column 'tickts'; expected all of the 2 features; the header's other columns: 'tickets'.",
    );
  });
});

describe('a data file that cannot be opened', () => {
  const settings = { target: 'outcome', positiveClass: 'yes', features: null };

  it('says where a relative path was looked for, and that paths are the working directory’s', () => {
    expect(() => loadDataset('no-such-dir/data.csv', settings)).toThrow(
      `Data file 'no-such-dir/data.csv' not found (looked for ${join(process.cwd(), 'no-such-dir/data.csv')}: paths are relative to the directory oncoclear runs in); expected a CSV with a header row.`,
    );
  });

  it('tells a directory from a missing file', () => {
    const dir = tempDir('oncoclear-csv-dir-');
    expect(() => loadDataset(dir, settings)).toThrow(
      `Data file '${dir}' is a directory; expected a CSV file.`,
    );
  });
});
