import type { z } from 'zod';

/** Reads the value at a zod issue's path so an error can quote what was actually there. */
function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function quote(value: unknown): string {
  if (value === undefined) return 'missing';
  // JSON.stringify would say null.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Dotted path of a zod issue, e.g. `split.testFraction` or `versions[2].sha256`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/**
 * One line for the first zod issue: the field, the value found and what was expected.
 * Example: `split.testFraction is 1.5; expected a number < 1`.
 */
export function describeIssue(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0]!;
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const where = path.length ? `${issuePath(path)} has` : 'has';
    return `${where} unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}; expected only the documented fields`;
  }
  const found = quote(valueAt(input, path));
  return `${issuePath(path)} is ${found}; expected ${expectation(issue)}`;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'nonoptional' ? 'a value' : `${article(issue.expected)}`;
    case 'too_small':
      return `${issue.origin === 'number' ? 'a number' : 'a value'} ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `${issue.origin === 'number' ? 'a number' : 'a value'} ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message.replace(/^Invalid input:?\s*/i, '') || 'a valid value';
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * `schema.parse(value)` for a writer checking what this build made before it writes it: a
 * failure is a bug (a value the schema cannot hold, such as a NaN metric), so it throws one line
 * naming the file kind, the field, the value and what was expected, not zod's JSON dump of issues.
 */
export function parseToWrite<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new Error(
    `Internal error: the ${what} to be written is invalid: ${describeIssue(result.error, value)}. Nothing was written; please report this.`,
  );
}
