/** Small wrapper over node:util parseArgs that turns unknown or malformed options into one clear error. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Every CLI takes --help: the usage on standard output, exit 0, whatever else is given. */
export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(options: T, usage: string, argv = process.argv.slice(2)) {
  if (parseArgs({ args: argv, options: { help: { type: 'boolean' } }, allowPositionals: true, strict: false }).values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

export function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    console.error(`--${name} must be a positive integer, got "${value}"`);
    process.exit(2);
  }
  return parsed;
}

export function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    console.error(`--${name} must be a positive number, got "${value}"`);
    process.exit(2);
  }
  return parsed;
}
