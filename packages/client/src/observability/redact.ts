import { mintedSecretPattern, type WireHeaders } from '@mcp-tunnel/protocol';

export const REDACTED = '[redacted]';

/** Header or field names whose values are credentials, whatever the value looks like. */
const SECRET_NAME =
  /authorization|cookie|api[-_]?key|secret|token|passw|passphrase|passcode|pwd|kennwort|mot[-_]?de[-_]?passe|contrase|senha|credential|private[-_]?key|signature|session[-_]?key|client[-_]?key/i;
/** Short names that are passwords or one-time codes only when they are the whole name. */
const SECRET_SHORT_NAME = /^(?:pw|pass|pin|otp|totp|mfa[-_]?code|2fa[-_]?code)$/i;
/** Names that match SECRET_NAME but carry no credential in MCP traffic. */
const HARMLESS_NAMES = new Set(['progresstoken', 'maxtokens', 'max_tokens', 'tokens', 'nextcursor']);

/** A secret-looking name inside a text, before `=` or `:` (a query string, JSON or a log line held as a string). */
const NAME_IN_TEXT = String.raw`(?:\b[\w-]*(?:passw|passphrase|passcode|pwd|kennwort|secret|token|api[-_]?key|authorization|cookie|credential)[\w-]*|\b(?:pw|pass|pin|otp)\b)`;
/** Words that name a password in prose ("the password for the db is hunter2"). */
const PASSWORD_WORD = String.raw`\b(?:passwords?|passwd|passwort|kennwort|passphrase|passcode|pwd|pw|pin)`;

/** Values that are credentials wherever they appear. */
const SECRET_VALUES: RegExp[] = [
  mintedSecretPattern(), // what tunnel-service mints: API keys, invitation and OAuth tokens, session cookies
  /\b(?:Bearer|bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=-]{12,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // a JWT
  /\b(mcpt|sk|pk|rk|ghp|gho|github_pat|xox[abposr]|glpat)[-_][A-Za-z0-9_-]{12,}/g, // well-known key prefixes
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /(?<=\/\/)[^/\s:@]+:[^/\s@]+(?=@)/g, // user:password in a URL
  /(?<=--?[\w-]*(?:token|key|secret|password)[\w-]*[= ])[^\s"']+/gi, // a secret command-line argument
  new RegExp(String.raw`(?<=${NAME_IN_TEXT}\\?"?\s*[:=]\s*\\?"?)[^"\\\s,;&}]+`, 'gi'),
  new RegExp(
    String.raw`(?<=${PASSWORD_WORD}(?:\s+(?:for|of|to)\s+(?:the\s+)?[^\s:=]+)?\s+(?:is|was|are)\s*[:=]?\s*["'\`]?)[^\s"'\`,;]+`,
    'gi',
  ),
];

export function isSecretName(name: string): boolean {
  return (SECRET_NAME.test(name) || SECRET_SHORT_NAME.test(name)) && !HARMLESS_NAMES.has(name.toLowerCase());
}

/**
 * Removes credentials from what the console shows and exports: values under secret-looking names,
 * values that look like tokens, and every literal secret this client was configured with (its API key
 * and static header values), wherever they appear.
 */
export class Redactor {
  private readonly known: string[];

  constructor(knownSecrets: readonly string[]) {
    // Short values would blank out ordinary words; the patterns above still catch short tokens.
    this.known = [...new Set(knownSecrets.filter((s) => s.length >= 6))].sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.known) out = out.split(secret).join(REDACTED);
    for (const pattern of SECRET_VALUES) out = out.replace(pattern, REDACTED);
    return out;
  }

  nullableText(value: string | null): string | null {
    return value === null ? null : this.text(value);
  }

  headers(headers: WireHeaders | Record<string, string | string[] | undefined>): WireHeaders {
    const out: WireHeaders = {};
    for (const [name, raw] of Object.entries(headers)) {
      if (raw === undefined) continue;
      const values = Array.isArray(raw) ? raw : [raw];
      out[name] = isSecretName(name) ? values.map(() => REDACTED) : values.map((v) => this.text(v));
    }
    return out;
  }

  /** A deep copy of a JSON value with secret fields and secret-looking strings replaced. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > 64) return REDACTED;
    if (Array.isArray(value)) return value.map((item) => this.value(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        isSecretName(key) && item !== null && item !== undefined ? REDACTED : this.value(item, depth + 1);
    }
    return out;
  }
}
