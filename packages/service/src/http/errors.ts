import {
  apiError,
  jsonRpcError,
  type ApiErrorCode,
  type ApiErrorResponse,
  type ApiErrorType,
  type JsonRpcId,
  type JsonRpcMessage,
} from '@mcp-tunnel/protocol';

/**
 * A refusal with its HTTP status. The management and tunnel APIs answer with the `{error:{...}}` body; the
 * connector endpoint answers with a JSON-RPC error body, because its callers are MCP clients.
 */
export class ApiRefusal extends Error {
  readonly status: number;
  readonly body: ApiErrorResponse;
  /** Extra response headers, e.g. Retry-After on 429. */
  headers: Record<string, string> = {};

  constructor(
    status: number,
    type: ApiErrorType,
    code: ApiErrorCode | string | null,
    message: string,
    param?: string,
  ) {
    super(message);
    this.status = status;
    this.body = apiError(type, code as ApiErrorCode | null, message, param ?? null);
  }
}

/** A body the JSON parser refused: the code and message are the same on every route. */
export class MalformedJson extends ApiRefusal {
  constructor(message: string) {
    super(400, 'invalid_request_error', 'invalid_json_payload', message);
  }
}

export class JsonRpcRefusal extends Error {
  readonly status: number;
  readonly body: JsonRpcMessage;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: number,
    message: string,
    id: JsonRpcId | null = null,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.body = jsonRpcError(id, code, message);
    this.headers = headers;
  }
}

export const badRequest = (code: ApiErrorCode | string | null, message: string, param?: string) =>
  new ApiRefusal(400, 'invalid_request_error', code, message, param);

export const notFound = (code: ApiErrorCode | string | null, message: string) =>
  new ApiRefusal(404, 'invalid_request_error', code, message);

export const forbidden = (code: ApiErrorCode | string | null, message: string, param?: string) =>
  new ApiRefusal(403, 'permission_error', code, message, param);

export const invalidApiKey = (message: string) =>
  new ApiRefusal(401, 'authentication_error', 'invalid_api_key', message);

export const conflict = (code: string, message: string, param?: string) =>
  new ApiRefusal(409, 'invalid_request_error', code, message, param);

/** Issues of a failed zod parse, as one sentence naming each offending field. */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): {
  message: string;
  param: string | undefined;
} {
  const parts = issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const first = issues[0]?.path.map(String).join('.');
  return { message: parts.join('; '), param: first || undefined };
}
