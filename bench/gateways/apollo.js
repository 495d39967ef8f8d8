#!/usr/bin/env node
// Apollo Gateway as users run it: @apollo/gateway + @apollo/server startStandaloneServer, all defaults.
// Env: PORT (required), SUPERGRAPH_PATH (required).
'use strict';
const { readFileSync } = require('node:fs');
const { ApolloGateway } = require('@apollo/gateway');
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');

async function main() {
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH, 'utf8') });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: '127.0.0.1' } });
  console.log(`apollo gateway at ${url}`);
  const stop = () => server.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
