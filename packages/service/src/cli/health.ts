// `tunnel-service health`: asks a running service's GET /healthz, for container health checks and scripts
// on images that have no HTTP client of their own.
import { serviceBaseUrl } from './management-client.ts';

const PROBE_TIMEOUT_MS = 5000;

/** Prints one line and exits 0 when /healthz answers 200, 1 otherwise. */
export async function healthCommand(url: string): Promise<void> {
  const base = serviceBaseUrl(url);
  if (!base) {
    console.error(`--url "${url}" is not a service URL like http://127.0.0.1:8787`);
    process.exit(2);
  }
  try {
    const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (response.status === 200) {
      console.log(`tunnel-service at ${base} is healthy`);
      return;
    }
    console.error(`tunnel-service at ${base} answered ${response.status} on /healthz`);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${PROBE_TIMEOUT_MS} ms`
        : (cause?.code ?? (error as Error).message);
    console.error(`tunnel-service at ${base} is unreachable (${why}): is it running, and on that address?`);
  }
  process.exit(1);
}
