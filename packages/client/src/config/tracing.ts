import { OtlpSettingsError, otlpSettings, type OtlpSettings } from '@mcp-tunnel/protocol';
import { ConfigError } from './errors.ts';

/** Span export from the OpenTelemetry standard variables (OTEL_EXPORTER_OTLP_ENDPOINT...); undefined: off. */
export function tracingSettings(env: NodeJS.ProcessEnv): OtlpSettings | undefined {
  try {
    return otlpSettings(env);
  } catch (error) {
    throw error instanceof OtlpSettingsError ? new ConfigError(error.message) : error;
  }
}
