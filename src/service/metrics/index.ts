/** Prometheus metrics of the service (prom-client, on a registry of its own). */
export {
  createServiceMetrics,
  DEFAULT_LATENCY_BUCKETS,
  PARTIAL_MATCHES_GAUGE,
  PATTERN_GROUP,
  type DeclaredSeries,
  type JobMetricsSource,
  type ServiceMetrics,
  type ServiceMetricsOptions,
} from "./service-metrics.js";
export { reasonClass, REASON_CLASSES, type ReasonClass } from "./reason-class.js";
