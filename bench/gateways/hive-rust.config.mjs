// Hive Gateway with the Rust query planner: `hive-gateway supergraph <file> -c bench/gateways/hive-rust.config.mjs`.
import { defineConfig } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

export const gatewayConfig = defineConfig({ unifiedGraphHandler });
