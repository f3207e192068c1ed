/** A configuration problem the operator must fix; its message names the key and the fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
