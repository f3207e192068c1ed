import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { WireHeaders } from '@mcp-tunnel/protocol';
import { badRequest, type ApiRefusal } from './errors.ts';

/**
 * Why the response headers a tunnel-client posted cannot be written to an HTTP caller, if they cannot: a
 * name that is no HTTP token, or a value with CR, LF or another control character. Writing such a header
 * would throw while the caller waits, or split the caller's response.
 */
export function responseHeaderProblem(headers: WireHeaders | undefined): ApiRefusal | undefined {
  for (const [name, values] of Object.entries(headers ?? {})) {
    try {
      validateHeaderName(name);
    } catch {
      return badRequest(
        'invalid_response_header',
        `resp_headers has the header name ${JSON.stringify(name)}, which is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only). Send the MCP server's headers as it sent them.`,
        'resp_headers',
      );
    }
    for (const value of values)
      try {
        validateHeaderValue(name, value);
      } catch {
        return badRequest(
          'invalid_response_header',
          `resp_headers.${name} has the value ${JSON.stringify(value)}, which is not a valid HTTP header value (no CR, LF or other control characters). Send the MCP server's headers as it sent them.`,
          'resp_headers',
        );
      }
  }
  return undefined;
}
