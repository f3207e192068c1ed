import { ConfigError } from '../config/errors.ts';

/** Exit statuses as Go's client has them: 1 for any error, 2 when doctor's checks fail or health is not ok. */
export const EXIT_ERROR = 1;
export const EXIT_NOT_OK = 2;

export function fail(message: string, code = EXIT_ERROR): never {
  process.stderr.write(`tunnel-client: ${message}\n`);
  process.exit(code);
}

/** Runs a command action, turning a ConfigError into its message and exit status 1. */
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
