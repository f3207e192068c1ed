import { startOtlpExport, type OtlpExport, type OtlpSettings } from '@mcp-tunnel/protocol';
import { CLIENT_VERSION } from '../base/version.ts';
import type { Logger } from './logger.ts';
import { setTracing } from './tracing.ts';

/**
 * Exports this client's spans when its configuration names an OTLP endpoint (`ClientConfig.tracing`);
 * without one the OpenTelemetry SDK is never loaded and the tracing helpers do nothing.
 */
export async function startTracing(
  settings: OtlpSettings | undefined,
  log: Logger,
): Promise<Omit<OtlpExport, 'api'> | undefined> {
  if (!settings) return undefined;
  const running = await startOtlpExport(
    settings,
    { name: 'tunnel-client', version: CLIENT_VERSION },
    (message) => log.warn({ component: 'opentelemetry' }, message),
  );
  setTracing(running.api);
  log.info({ endpoint: running.endpoint, sampler: settings.sampler }, 'exporting traces over OTLP/HTTP');
  return {
    endpoint: running.endpoint,
    async shutdown() {
      setTracing(undefined);
      await running.shutdown();
    },
  };
}
