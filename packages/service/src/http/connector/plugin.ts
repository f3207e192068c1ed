import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import {
  JSONRPC_INVALID_REQUEST,
  JSONRPC_PARSE_ERROR,
  JSONRPC_SERVER_ERROR,
  jsonRpcError,
} from '@mcp-tunnel/protocol';
import type { ServiceContext } from '../context.ts';
import { ApiRefusal, JsonRpcRefusal, MalformedJson } from '../errors.ts';
import { noRoute, refusalFor } from '../refusals.ts';
import { noteAudit } from '../audit.ts';
import { challengeHeaders } from './challenge.ts';
import { connectorHandler } from './route.ts';
import type { ConnectorRequest } from './request.ts';

/** Callers of the connector endpoint are MCP clients: every refusal reaches them as a JSON-RPC error. */
function sendJsonRpcRefusal(
  reply: FastifyReply,
  refusal: ApiRefusal | JsonRpcRefusal,
  challenge: Record<string, string> = {},
) {
  reply.headers(challenge);
  if (refusal instanceof JsonRpcRefusal)
    return reply.status(refusal.status).headers(refusal.headers).send(refusal.body);
  const code =
    refusal instanceof MalformedJson
      ? JSONRPC_PARSE_ERROR
      : refusal.status === 400
        ? JSONRPC_INVALID_REQUEST
        : JSONRPC_SERVER_ERROR;
  return reply
    .status(refusal.status)
    .headers(refusal.headers)
    .send(jsonRpcError(null, code, refusal.body.error.message));
}

/**
 * The connector endpoint, `/v1/mcp/{tunnel_id}[/{channel}]` (registered under that prefix): the MCP
 * Streamable HTTP endpoint of every tunnel, with its own refusals in JSON-RPC.
 */
export const connectorPlugin: FastifyPluginAsync<{ context: ServiceContext }> = async (app, { context }) => {
  app.setErrorHandler(async (error: FastifyError | ApiRefusal | JsonRpcRefusal, request, reply) => {
    const refusal = await refusalFor(error, request, reply, context.limits.maxBodyBytes);
    // The JSON-RPC body carries no error code: the audit log gets it from the refusal.
    if (refusal instanceof ApiRefusal && refusal.body.error.code)
      noteAudit(request, { reason: refusal.body.error.code });
    return sendJsonRpcRefusal(reply, refusal, await challengeHeaders(context, request, refusal));
  });
  app.setNotFoundHandler((request, reply) => sendJsonRpcRefusal(reply, noRoute(request)));

  const handler = connectorHandler(context);
  for (const url of ['/:tunnel_id', '/:tunnel_id/:channel'])
    app.route<ConnectorRequest>({
      method: ['GET', 'POST', 'DELETE'],
      url,
      // The key is checked per tunnel: a public tunnel's callers present the MCP server's credentials.
      config: { auth: 'optional', oauthAccessTokens: true, action: 'tunnel.call', auditRefusalsOnly: true },
      handler,
    });
};
