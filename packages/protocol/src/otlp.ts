import type * as OtelApi from '@opentelemetry/api';

/** The span export a process runs; its shutdown flushes what is still buffered. */
export interface OtlpExport {
  /** Where spans go, without credentials or query. */
  readonly endpoint: string;
  /** @opentelemetry/api, loaded with the SDK: an unconfigured process loads no OpenTelemetry module. */
  readonly api: typeof OtelApi;
  shutdown(): Promise<void>;
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface OtlpSettings {
  url: string;
  sampler: SamplerName;
  ratio: number;
}

/** The OpenTelemetry variables ask for what this export cannot do; the message names the fix. */
export class OtlpSettingsError extends Error {
  override name = 'OtlpSettingsError';
}

/**
 * The OpenTelemetry standard variables, read as both halves use them: traces are exported when an OTLP
 * endpoint is named, over OTLP/HTTP with JSON bodies. Undefined when tracing is off.
 */
export function otlpSettings(env: NodeJS.ProcessEnv): OtlpSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === 'none') return undefined;
  if (exporter && exporter !== 'otlp')
    throw new OtlpSettingsError(
      `OTEL_TRACES_EXPORTER=${exporter} is not supported: traces are exported over OTLP only; set it to otlp or none, or unset it`,
    );
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!traces && !base) return undefined;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim();
  if (protocol === 'grpc')
    throw new OtlpSettingsError(
      'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: traces are exported over OTLP/HTTP; point OTEL_EXPORTER_OTLP_ENDPOINT at the collector’s OTLP/HTTP port (usually 4318) and unset the protocol or set it to http/json',
    );
  const variable = traces ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  // The base endpoint names the collector; the signal's own endpoint is used as it is (the specification's rule).
  const url = traces || `${base!.replace(/\/+$/, '')}/v1/traces`;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new OtlpSettingsError(
      `${variable} must be an http:// or https:// URL, such as http://127.0.0.1:4318${traces ? '/v1/traces' : ''}`,
    );
  const sampler = (env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on') as SamplerName;
  if (!SAMPLERS.includes(sampler))
    throw new OtlpSettingsError(
      `OTEL_TRACES_SAMPLER=${env.OTEL_TRACES_SAMPLER} is not one of ${SAMPLERS.join(', ')}`,
    );
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const ratio = sampler.endsWith('traceidratio') && arg ? Number(arg) : 1;
  if (!(ratio >= 0 && ratio <= 1))
    throw new OtlpSettingsError(`OTEL_TRACES_SAMPLER_ARG=${arg} must be a ratio from 0 to 1, such as 0.25`);
  return { url, sampler, ratio };
}

/** The endpoint as logs may show it: an OTLP URL may carry a token in its user part or query. */
function shownEndpoint(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** The export this process runs, and how many of its halves (a service, a client) use it. */
let shared: Promise<OtlpExport> | undefined;
let users = 0;

/**
 * Loads OpenTelemetry (only now: a process that exports nothing loads none of it), registers the SDK and
 * the W3C Trace Context propagator globally, and exports spans to the OTLP endpoint. One export per
 * process: a service and a client in one process share it, and it stops when both have shut it down.
 */
export async function startOtlpExport(
  settings: OtlpSettings,
  resource: { name: string; version: string },
  warn: (message: string) => void,
): Promise<OtlpExport> {
  users++;
  shared ??= register(settings, resource, warn);
  const running = await shared;
  let stopped = false;
  return {
    endpoint: running.endpoint,
    api: running.api,
    async shutdown() {
      if (stopped) return;
      stopped = true;
      if (--users > 0) return;
      shared = undefined;
      await running.shutdown();
    },
  };
}

async function register(
  settings: OtlpSettings,
  resource: { name: string; version: string },
  warn: (message: string) => void,
): Promise<OtlpExport> {
  const [api, sdk, { OTLPTraceExporter }, { W3CTraceContextPropagator }, resources] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  const root = settings.sampler.endsWith('always_off')
    ? new sdk.AlwaysOffSampler()
    : settings.sampler.endsWith('traceidratio')
      ? new sdk.TraceIdRatioBasedSampler(settings.ratio)
      : new sdk.AlwaysOnSampler();
  const provider = new sdk.TracerProvider({
    sampler: settings.sampler.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root,
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults.
    resource: resources
      .defaultResource()
      .merge(
        resources.resourceFromAttributes({
          'service.name': resource.name,
          'service.version': resource.version,
        }),
      )
      .merge(resources.detectResources({ detectors: [resources.envDetector] })),
    // The exporter reads OTEL_EXPORTER_OTLP_HEADERS itself: header values (tokens) never pass through here.
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: settings.url }) })],
  });
  api.trace.setGlobalTracerProvider(provider);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // Export failures reach the log as the SDK words them (status and reason, never the request's headers).
  api.diag.setLogger(
    { error: warn, warn, info: () => {}, debug: () => {}, verbose: () => {} },
    api.DiagLogLevel.WARN,
  );
  return {
    endpoint: shownEndpoint(settings.url),
    api,
    async shutdown() {
      await provider
        .shutdown()
        .catch((error: unknown) => warn(`span export at shutdown failed: ${String(error)}`));
      api.trace.disable();
      api.propagation.disable();
      api.diag.disable();
    },
  };
}
