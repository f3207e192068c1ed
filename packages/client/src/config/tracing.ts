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

/**
 * The exporter's headers usually hold a collector token: treated as secrets (redacted from logs and the
 * console, withheld from the MCP servers this client starts).
 */
export const OTLP_SECRET_ENVS = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'];
