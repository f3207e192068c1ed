import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SecretReference {
  kind: 'env' | 'file';
  target: string;
}

/** Parses `env:NAME` or `file:/path`; anything else is not a reference. */
export function parseSecretReference(raw: string): SecretReference | undefined {
  const trimmed = raw.trim();
  const lower = trimmed.toLowerCase();
  if (lower.startsWith('env:')) return { kind: 'env', target: trimmed.slice(4).trim() };
  if (lower.startsWith('file:')) return { kind: 'file', target: trimmed.slice(5).trim() };
  return undefined;
}

/** Resolves a reference to its value, naming the key and what is missing when it cannot. */
export function resolveSecretReference(key: string, ref: SecretReference, env: NodeJS.ProcessEnv): string {
  const shown = `${ref.kind}:${ref.target}`;
  if (ref.kind === 'env') {
    if (!ENV_NAME_PATTERN.test(ref.target))
      throw new ConfigError(`${key}: "${shown}" does not name a valid environment variable`);
    const value = env[ref.target]?.trim();
    if (!value)
      throw new ConfigError(
        `${key} refers to the environment variable ${ref.target}, which is not set: export ${ref.target}=<value>`,
      );
    return value;
  }
  if (!ref.target)
    throw new ConfigError(`${key}: "${shown}" needs a file path, e.g. file:/etc/tunnel-client/key`);
  let value: string;
  try {
    value = readFileSync(ref.target, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${key} refers to ${ref.target}, which cannot be read (${code})`);
  }
  if (!value) throw new ConfigError(`${key} refers to ${ref.target}, which is empty`);
  return value;
}
