import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A user-facing CLI error: printed as one line, exit code 2 for usage, 1 otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's flags strictly: an unknown flag or a missing value is a usage error that
 * names the flag and points at --help.
 */
export function parseCommand<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional.*$/s, '');
    throw new CliError(`${message}. Run 'oncoclear ${command} --help' for usage.`, 2);
  }
}

/** Requires a string flag. */
/** Fails once for every required flag that is missing, so a user learns them all in one run. */
export function requireAll(command: string, flags: Record<string, string | undefined>): void {
  const missing = Object.entries(flags)
    .filter(([, value]) => !value)
    .map(([flag]) => flag);
  if (missing.length > 0)
    throw new CliError(
      `Missing ${missing.join(', ')}. Run 'oncoclear ${command} --help' for usage.`,
      2,
    );
}

export function required(command: string, value: string | undefined, flag: string): string {
  if (!value)
    throw new CliError(`Missing ${flag}. Run 'oncoclear ${command} --help' for usage.`, 2);
  return value;
}

/** Parses a positive integer argument such as a version number. */
export function positiveInt(value: string, what: string): number {
  const n = Number(value.replace(/^v/, ''));
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(
      `${what} '${value}' is not valid; expected a positive integer like 3 or v3.`,
      2,
    );
  return n;
}
