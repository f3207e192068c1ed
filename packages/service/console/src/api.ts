// The management API as the console calls it: same-origin fetch with the session cookie, and the
// session's CSRF token on every change (the service refuses cookie-authenticated changes without it).

/** The service's error body, or a network failure, as one error the pages can show. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  constructor(status: number, message: string, code: string | null) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function getCsrfToken(): string {
  return csrfToken;
}

/** Called when an API call answers 401: the session expired or was revoked. */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

export async function call<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (error) {
    throw new ApiError(0, `The service did not answer (${String(error)}). Check that it is running.`, null);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = `${method} ${path} answered ${response.status}.`;
    let code: string | null = null;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string; code?: string | null } };
      if (parsed.error?.message) message = parsed.error.message;
      code = parsed.error?.code ?? null;
    } catch {
      // Not the service's JSON error body (a proxy in between): keep the status line.
    }
    if (response.status === 401 && !path.startsWith('/v1/auth/')) onSignedOut();
    throw new ApiError(response.status, message, code);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
