import type { FailureInput } from '@mcp-tunnel/protocol';

const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|EPROTO$|ERR_OSSL)/;

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** Classifies a network error from an HTTP upstream into the contract's failure sources and kinds. */
export function classifyNetworkError(error: unknown): FailureInput {
  for (const code of errorCodes(error)) {
    if (code === 'UND_ERR_INVALID_ARG') return { source: 'client_internal' };
    if (code === 'ECONNREFUSED') return { source: 'connect', kind: 'connection_refused' };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
      return { source: 'dns', kind: 'dns' };
    if (TLS_CODE.test(code)) return { source: 'tls', kind: 'tls' };
    if (code === 'EHOSTUNREACH') return { source: 'connect', kind: 'host_unreachable' };
    if (code === 'ENETUNREACH') return { source: 'connect', kind: 'network_unreachable' };
    if (code === 'ECONNRESET') return { source: 'transport_closed', kind: 'connection_reset' };
    if (code === 'EPIPE') return { source: 'transport_closed', kind: 'closed_pipe' };
    if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED')
      return { source: 'transport_closed', kind: 'connection_closed' };
    if (
      code === 'ETIMEDOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT'
    )
      return { source: 'timeout', kind: 'timeout' };
  }
  return { source: 'connect', kind: 'unknown' };
}
