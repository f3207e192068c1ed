import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OtlpSettingsError, otlpSettings, traceContextOf, withTraceContext } from '@mcp-tunnel/protocol';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('tracing is off unless an OTLP endpoint is named, or when the standard switches say so', () => {
  assert.equal(otlpSettings({}), undefined);
  assert.equal(otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), undefined);
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  assert.equal(otlpSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' }), undefined);
  assert.equal(otlpSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }), undefined);
});

test('the base endpoint gets /v1/traces; the traces endpoint is used as it is', () => {
  assert.deepEqual(otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), {
    url: 'http://collector:4318/v1/traces',
    sampler: 'parentbased_always_on',
    ratio: 1,
  });
  assert.equal(
    otlpSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
    })?.url,
    'https://traces.example/otlp',
  );
  assert.deepEqual(
    otlpSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    }),
    { url: 'http://c:4318/v1/traces', sampler: 'parentbased_traceidratio', ratio: 0.25 },
  );
});

test('settings that cannot work are refused with the variable and the fix', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  const refused = (env: NodeJS.ProcessEnv, pattern: RegExp) =>
    assert.throws(
      () => otlpSettings(env),
      (error: unknown) => error instanceof OtlpSettingsError && pattern.test(error.message),
    );
  refused({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /grpc is not supported.*4318/);
  refused({ ...endpoint, OTEL_TRACES_EXPORTER: 'zipkin' }, /OTEL_TRACES_EXPORTER=zipkin.*otlp or none/);
  refused(
    { ...endpoint, OTEL_TRACES_SAMPLER: 'sometimes' },
    /OTEL_TRACES_SAMPLER=sometimes is not one of always_on/,
  );
  refused(
    { ...endpoint, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' },
    /OTEL_TRACES_SAMPLER_ARG=2 must be a ratio from 0 to 1/,
  );
  refused({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http/);
});

test('a command carries one trace context: the next hop replaces the caller’s, whatever its spelling', () => {
  const headers = { traceparent: ['00-aaaa-bbbb-01'], TraceState: ['x=1'], Accept: ['application/json'] };
  assert.deepEqual(traceContextOf(headers), { traceparent: '00-aaaa-bbbb-01', tracestate: 'x=1' });
  assert.deepEqual(withTraceContext(headers, { traceparent: PARENT }), {
    Accept: ['application/json'],
    Traceparent: [PARENT],
  });
  assert.equal(withTraceContext(headers, {}), headers, 'nothing to carry leaves the headers as they are');
});
