import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import {
  JSONRPC_INVALID_REQUEST,
  JSONRPC_PARSE_ERROR,
  JSONRPC_SERVER_ERROR,
  jsonRpcError,
} from '@mcp-tunnel/protocol';
import cookie from '@fastify/cookie';
import { discardRefusedBody } from './discard-body.ts';
import { ApiRefusal, JsonRpcRefusal } from './errors.ts';
import { authenticateRequest } from './authentication.ts';
import { auditHooks } from './audit.ts';
import type { ServiceContext } from './context.ts';
import { registerTunnelApi } from './tunnel-api.ts';
import { registerConnector } from './connector/route.ts';
import { registerManagement } from './management/index.ts';
import { registerConsole } from './console.ts';

/** A body the JSON parser refused: the code and message are the same on every route. */
class MalformedJson extends ApiRefusal {
  constructor(message: string) {
    super(400, 'invalid_request_error', 'invalid_json_payload', message);
  }
}

const isConnectorUrl = (url: string) => url.startsWith('/v1/mcp/') || url === '/v1/mcp';

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
      return new ApiRefusal(
        413,
        'invalid_request_error',
        'request_body_too_large',
        `The request body is larger than the service accepts (${maxBodyBytes} bytes). Send a smaller body; avoid large inline payloads.`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new MalformedJson(
        'The request body is empty but Content-Type says JSON: send one JSON object, or no Content-Type header.',
      );
    default:
      return undefined;
  }
}

function sendRefusal(request: FastifyRequest, reply: FastifyReply, refusal: ApiRefusal | JsonRpcRefusal) {
  if (refusal instanceof JsonRpcRefusal) {
    return reply.status(refusal.status).headers(refusal.headers).send(refusal.body);
  }
  if (!isConnectorUrl(request.url))
    return reply.status(refusal.status).headers(refusal.headers).send(refusal.body);
  // Callers of the connector endpoint are MCP clients: they get the same refusal as a JSON-RPC error.
  const code =
    refusal instanceof MalformedJson
      ? JSONRPC_PARSE_ERROR
      : refusal.status === 400
        ? JSONRPC_INVALID_REQUEST
        : JSONRPC_SERVER_ERROR;
  return reply.status(refusal.status).send(jsonRpcError(null, code, refusal.body.error.message));
}

export async function buildServer(context: ServiceContext, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: context.limits.maxBodyBytes,
    return503OnClosing: true,
  });

  await app.register(cookie);
  app.decorateRequest('principal', null);
  app.decorateRequest('authRefusal', null);
  app.decorateRequest('auditNote', null);
  app.removeAllContentTypeParsers();
  const parseJson = (
    _request: FastifyRequest,
    body: string | Buffer,
    done: (error: Error | null, body?: unknown) => void,
  ) => {
    const text = String(body);
    // An empty body is no body (a DELETE sent with a JSON Content-Type); routes that need one say so.
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'not JSON';
      done(
        new MalformedJson(
          `The request body is not valid JSON (${reason}). Send one JSON object with Content-Type: application/json.`,
        ),
      );
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.addContentTypeParser(/^application\/[\w.+-]*\+json$/, { parseAs: 'string' }, parseJson);

  app.addHook('onRequest', (request) => authenticateRequest(context, request));
  const audit = auditHooks(context);
  app.addHook('onSend', audit.onSend);
  app.addHook('onResponse', audit.onResponse);

  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: reply.elapsedTime,
      },
      'request',
    );
  });

  app.setErrorHandler(async (error: FastifyError | ApiRefusal | JsonRpcRefusal, request, reply) => {
    if (error instanceof ApiRefusal || error instanceof JsonRpcRefusal)
      return sendRefusal(request, reply, error);
    const described = describeFrameworkError(error, context.limits.maxBodyBytes);
    if (described && error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // Fastify closes the connection here; read the rest of the body first so the caller gets the 413.
      if (await discardRefusedBody(request.raw, context.limits.maxBodyBytes))
        reply.removeHeader('connection');
      return sendRefusal(request, reply, described);
    }
    if (described) return sendRefusal(request, reply, described);
    if (error.validation || (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)) {
      return sendRefusal(
        request,
        reply,
        new ApiRefusal(error.statusCode ?? 400, 'invalid_request_error', 'invalid_request', error.message),
      );
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendRefusal(
      request,
      reply,
      new ApiRefusal(
        500,
        'server_error',
        null,
        'The service failed while handling this request; it has been logged. Try again.',
      ),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendRefusal(
      request,
      reply,
      new ApiRefusal(
        404,
        'invalid_request_error',
        'not_found',
        `No route ${request.method} ${request.url.split('?')[0]}. The API lives under /v1 (auth, tunnels, roles, members, invitations, service_accounts, api_keys, audit, connectors, me, mcp).`,
      ),
    ),
  );

  registerManagement(app, context);
  registerTunnelApi(app, context);
  registerConnector(app, context);
  await registerConsole(app);
  return app;
}
