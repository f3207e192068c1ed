import { z } from 'zod';

/** Stable error codes the tunnel API uses (a subset of those the contract lists, plus our own). */
export type ApiErrorCode =
  | 'invalid_channel_format'
  | 'invalid_json_payload'
  | 'invalid_tunnel_id_format'
  | 'missing_mcp_session_id'
  | 'pending_request_not_found'
  | 'rate_limit_exceeded'
  | 'request_body_too_large'
  | 'tunnel_client_not_seen'
  | 'tunnel_management_permission_required'
  | 'tunnel_missing_principals'
  | 'tunnel_queue_full'
  | 'tunnel_request_mismatch'
  | 'tunnel_use_forbidden'
  | 'invalid_request'
  | 'invalid_api_key'
  | 'permission_denied'
  | 'not_found';

export const ApiErrorBodySchema = z.looseObject({
  message: z.string(),
  type: z.string(),
  param: z.string().nullish(),
  code: z.string().nullish(),
});
export const ApiErrorResponseSchema = z.looseObject({ error: ApiErrorBodySchema });
export type ApiErrorResponse = z.infer<typeof ApiErrorResponseSchema>;

export type ApiErrorType =
  'invalid_request_error' | 'authentication_error' | 'permission_error' | 'server_error';

export function apiError(
  type: ApiErrorType,
  code: ApiErrorCode | null,
  message: string,
  param: string | null = null,
): ApiErrorResponse {
  return { error: { message, type, param, code } };
}
