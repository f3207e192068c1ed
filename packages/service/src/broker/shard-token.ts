import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** The node a shard token names, the one holding its caller; undefined for a malformed token. */
export function shardTokenNode(token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  return dot > 0 ? token.slice(0, dot) : undefined;
}

/**
 * Shard tokens name the node that holds the caller and carry a MAC over request id, tunnel id and that
 * node, so a key for one tunnel can never answer another tunnel's request and tokens cannot be forged.
 * Shape: `<node id>.<hex HMAC-SHA256>`.
 */
export class ShardTokens {
  /** Made once: a raw key given to createHmac is turned into a key object on every call. */
  readonly #secret: KeyObject;
  readonly #nodeId: string;

  constructor(secret: Buffer, nodeId: string) {
    this.#secret = createSecretKey(secret);
    this.#nodeId = nodeId;
  }

  #mac(requestId: string, tunnelId: string, nodeId: string): Buffer {
    return createHmac('sha256', this.#secret).update(`${requestId}\n${tunnelId}\n${nodeId}`).digest();
  }

  issue(requestId: string, tunnelId: string): string {
    return `${this.#nodeId}.${this.#mac(requestId, tunnelId, this.#nodeId).toString('hex')}`;
  }

  verify(token: string, requestId: string, tunnelId: string): boolean {
    const nodeId = shardTokenNode(token);
    if (nodeId === undefined) return false;
    const given = Buffer.from(token.slice(nodeId.length + 1), 'hex');
    const expected = this.#mac(requestId, tunnelId, nodeId);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
