export * from './accessLogLine';
export * from './clientLabels';
export * from './GatewayMetrics';
export * from './metricsUpstreamHooks';
export * from './Observability';
export * from './observabilityEnv';
export * from './operationFacts';
export * from './registerMetricsEndpoint';
