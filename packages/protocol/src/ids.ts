import { randomBytes } from 'node:crypto';

/** Tunnel ids are `tunnel_` + 32 lowercase hex characters (PROTOCOL.md, "Identifiers"). */
export const TUNNEL_ID_PATTERN = /^tunnel_[0-9a-f]{32}$/;
export const TUNNEL_ID_SHAPE = 'tunnel_ followed by 32 lowercase hex characters (0-9, a-f)';

export function isTunnelId(value: unknown): value is string {
  return typeof value === 'string' && TUNNEL_ID_PATTERN.test(value);
}

export function newTunnelId(): string {
  return `tunnel_${randomBytes(16).toString('hex')}`;
}

/** Channel names: lowercase letters, digits, hyphens and underscores (the contract's `invalid_channel_format`). */
export const CHANNEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const CHANNEL_NAME_SHAPE =
  'lowercase letters, digits, hyphens or underscores, starting with a letter or digit, at most 64 characters';
export const MAIN_CHANNEL = 'main';

export function isChannelName(value: unknown): value is string {
  return typeof value === 'string' && CHANNEL_NAME_PATTERN.test(value);
}
