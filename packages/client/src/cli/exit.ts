import { ConfigError } from '../config/errors.ts';

/** Exit statuses shared by the commands: 1 = the check or operation failed, 2 = the invocation was wrong. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function fail(message: string, code = EXIT_USAGE): never {
  process.stderr.write(`tunnel-client: ${message}\n`);
  process.exit(code);
}

/** Runs a command action, turning a ConfigError into its message and exit status 2. */
export function guarded<A extends unknown[]>(action: (...args: A) => unknown): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message);
      throw error;
    }
  };
}
