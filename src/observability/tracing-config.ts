import { ConfigError, Env, nonEmpty } from '../config-values';

/** Head sampling, as the OpenTelemetry SDK environment variables name it. */
export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** OpenTelemetry traces over OTLP/HTTP (docs/operations.md#tracing): on only with an endpoint. */
export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT, the collector's base URL (spans go to <endpoint>/v1/traces). */
  endpoint: string | undefined;
  serviceName: string;
  /** OTEL_TRACES_SAMPLER (default always_on: a caller cannot switch its traces off) and its ratio, OTEL_TRACES_SAMPLER_ARG (default 1). */
  sampler?: SamplerName;
  ratio?: number;
  /** OTEL_PROPAGATORS: `tracecontext` (default) continues an incoming W3C `traceparent`; `none` ignores it. */
  followTraceparent?: boolean;
}

/** The standard OTEL_* variables this server reads (the exporter reads its own OTEL_EXPORTER_OTLP_* too). */
export function tracingConfig(env: Env): TracingConfig {
  const endpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (endpoint !== undefined && !/^https?:$/.test(URL.parse(endpoint)?.protocol ?? '')) {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_ENDPOINT must be the http(s) base URL of an OTLP collector, e.g. http://localhost:4318; got "${endpoint}"`);
  }
  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME) ?? 'coaching-sessions-api';
  if (serviceName.length > 200) throw new ConfigError('OTEL_SERVICE_NAME must be at most 200 characters');

  const sampler = (nonEmpty(env.OTEL_TRACES_SAMPLER)?.toLowerCase() ?? 'always_on') as SamplerName;
  if (!SAMPLERS.includes(sampler)) throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}; got "${env.OTEL_TRACES_SAMPLER}"`);
  const arg = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!(ratio >= 0 && ratio <= 1)) throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1; got "${arg}"`);

  // Only the W3C trace context is understood; baggage (in the SDK's default list) is never read.
  const propagators = (nonEmpty(env.OTEL_PROPAGATORS) ?? 'tracecontext,baggage').split(',').map((p) => p.trim().toLowerCase());
  const unknown = propagators.filter((p) => !['tracecontext', 'baggage', 'none'].includes(p));
  if (unknown.length) throw new ConfigError(`OTEL_PROPAGATORS may list tracecontext, baggage or none; got "${unknown.join(',')}"`);
  return { endpoint, serviceName, sampler, ratio, followTraceparent: propagators.includes('tracecontext') && !propagators.includes('none') };
}
