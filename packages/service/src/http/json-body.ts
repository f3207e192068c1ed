import type { FastifyRequest } from 'fastify';
import { ApiRefusal, MalformedJson } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route takes a body nested deeper than the limit and refuses it itself (`request.tooDeep`), so it
     * can still tell whoever waits on it: the tunnel API's response post answers the waiting caller.
     */
    refusesDeepJsonItself?: boolean;
  }
  interface FastifyRequest {
    /** The body nests deeper than the limit, on a route that refuses such bodies itself. */
    tooDeep: ApiRefusal | null;
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * How deeply the JSON text nests objects and arrays, read without parsing it. Parsing copes with any
 * depth, but serializing such a value again (a poll answer, an SSE event) overflows the stack.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > deepest) deepest = depth;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/**
 * Whether the text holds more than `limit` opening brackets; with no more than that it cannot nest deeper.
 * Found by the engine's own search, far faster than jsonDepth's walk over every character.
 */
function bracketsExceed(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ['{', '['])
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1))
      if (++count > limit) return true;
  return false;
}

export function tooDeepRefusal(depth: number, maxDepth: number): ApiRefusal {
  return new ApiRefusal(
    400,
    'invalid_request_error',
    'json_too_deep',
    `The JSON body nests objects and arrays ${depth} levels deep; this service accepts at most ${maxDepth} (tunnel-service --max-json-depth). Send a flatter message.`,
  );
}

/** The JSON body parser of every route: malformed bodies and bodies nested deeper than `maxDepth` are refused. */
export function jsonBodyParser(maxDepth: number) {
  return (
    request: FastifyRequest,
    body: string | Buffer,
    done: (error: Error | null, body?: unknown) => void,
  ) => {
    const text = String(body);
    // An empty body is no body (a DELETE sent with a JSON Content-Type); routes that need one say so.
    if (text.trim() === '') return done(null, undefined);
    // Each level takes two characters and an opening bracket, so a short body, or one with few brackets,
    // cannot be too deep.
    const depth = text.length > 2 * maxDepth && bracketsExceed(text, maxDepth) ? jsonDepth(text) : 0;
    if (depth > maxDepth && !request.routeOptions.config.refusesDeepJsonItself)
      return done(tooDeepRefusal(depth, maxDepth));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'not JSON';
      return done(
        new MalformedJson(
          `The request body is not valid JSON (${reason}). Send one JSON object with Content-Type: application/json.`,
        ),
      );
    }
    if (depth > maxDepth) request.tooDeep = tooDeepRefusal(depth, maxDepth);
    done(null, value);
  };
}
