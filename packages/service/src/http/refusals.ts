import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SignInLimiterUnavailable } from '../auth/redis-sign-in-limiter.ts';
import { BrokerUnavailable } from '../broker/redis-connection.ts';
import { StoreUnavailable } from '../store/unavailable.ts';
import { discardRefusedBody } from './discard-body.ts';
import { ApiRefusal, JsonRpcRefusal, MalformedJson } from './errors.ts';

export function bodyTooLarge(maxBodyBytes: number): ApiRefusal {
  return new ApiRefusal(
    413,
    'invalid_request_error',
    'request_body_too_large',
    `The request body is larger than the service accepts (${maxBodyBytes} bytes). Send a smaller body; avoid large inline payloads.`,
  );
}

/** Fastify's own refusals (content type, size, parsing), re-worded to say what to do about them. */
function describeFrameworkError(error: FastifyError, maxBodyBytes: number): ApiRefusal | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiRefusal(
        415,
        'invalid_request_error',
        'unsupported_media_type',
        'This endpoint takes a JSON body: send it with the header Content-Type: application/json.',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(maxBodyBytes);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new MalformedJson(
        'The request body is empty but Content-Type says JSON: send one JSON object, or no Content-Type header.',
      );
    default:
      return undefined;
  }
}

/** How long a caller is asked to wait before trying again while the database cannot be reached. */
const STORE_RETRY_AFTER_SECONDS = 5;

/** 503 naming the database: the request is fine, the service cannot serve it until the database is back. */
function storeUnavailable(error: StoreUnavailable): ApiRefusal {
  const refusal = new ApiRefusal(
    503,
    'server_error',
    'store_unavailable',
    `The service's database (${error.database}) cannot be reached, so this request cannot be served now. Try again shortly; if it lasts, the operator should check that the database is up and reachable from the service.`,
  );
  refusal.headers['retry-after'] = String(STORE_RETRY_AFTER_SECONDS);
  return refusal;
}

/**
 * What the caller is told about an error raised while handling its request: our own refusals as they
 * are, Fastify's re-worded, an unreachable database as 503, anything unexpected logged and answered 500.
 * Each endpoint family writes the refusal in its own format.
 */
export async function refusalFor(
  error: FastifyError | ApiRefusal | JsonRpcRefusal,
  request: FastifyRequest,
  /** Absent for what is no HTTP request of its own (a frame of a command stream). */
  reply: FastifyReply | undefined,
  maxBodyBytes: number,
): Promise<ApiRefusal | JsonRpcRefusal> {
  if (error instanceof ApiRefusal || error instanceof JsonRpcRefusal) return error;
  if ((error as unknown) instanceof StoreUnavailable) {
    request.log.warn({ reason: error.message }, 'a request failed: the database cannot be reached');
    return storeUnavailable(error as unknown as StoreUnavailable);
  }
  if (error instanceof BrokerUnavailable || error instanceof SignInLimiterUnavailable) {
    request.log.warn({ err: error.cause }, error.message);
    const refusal = new ApiRefusal(503, 'server_error', 'broker_unavailable', error.message);
    refusal.headers['retry-after'] = '1';
    return refusal;
  }
  const described = describeFrameworkError(error, maxBodyBytes);
  if (described && error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // Fastify closes the connection here; read the rest of the body first so the caller gets the 413.
    if (reply && (await discardRefusedBody(request.raw, maxBodyBytes))) reply.removeHeader('connection');
    return described;
  }
  if (described) return described;
  if (error.validation || (error.statusCode && error.statusCode >= 400 && error.statusCode < 500))
    return new ApiRefusal(error.statusCode ?? 400, 'invalid_request_error', 'invalid_request', error.message);
  request.log.error({ err: error }, 'unexpected error');
  return new ApiRefusal(
    500,
    'server_error',
    null,
    'The service failed while handling this request; it has been logged. Try again.',
  );
}

/** The refusal for a method and path no route serves. */
export function noRoute(request: FastifyRequest): ApiRefusal {
  return new ApiRefusal(
    404,
    'invalid_request_error',
    'not_found',
    `No route ${request.method} ${request.url.split('?')[0]}. The API lives under /v1 (auth, tunnels, roles, members, invitations, service_accounts, api_keys, audit, connectors, me, mcp).`,
  );
}

export function sendRefusal(reply: FastifyReply, refusal: ApiRefusal | JsonRpcRefusal) {
  return reply.status(refusal.status).headers(refusal.headers).send(refusal.body);
}
