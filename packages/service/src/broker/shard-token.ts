import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Shard tokens name the node that holds the caller and carry a MAC over request id, tunnel id and that
 * node, so a key for one tunnel can never answer another tunnel's request and tokens cannot be forged.
 * Shape: `<node id>.<hex HMAC-SHA256>`.
 */
export class ShardTokens {
  readonly #secret: Buffer;
  readonly #nodeId: string;

  constructor(secret: Buffer, nodeId: string) {
    this.#secret = secret;
    this.#nodeId = nodeId;
  }

  #mac(requestId: string, tunnelId: string, nodeId: string): Buffer {
    return createHmac('sha256', this.#secret).update(`${requestId}\n${tunnelId}\n${nodeId}`).digest();
  }

  issue(requestId: string, tunnelId: string): string {
    return `${this.#nodeId}.${this.#mac(requestId, tunnelId, this.#nodeId).toString('hex')}`;
  }

  verify(token: string, requestId: string, tunnelId: string): boolean {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return false;
    const nodeId = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'hex');
    const expected = this.#mac(requestId, tunnelId, nodeId);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
