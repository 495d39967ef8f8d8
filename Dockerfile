# One image for every Roam process: the gateway and each subgraph run from it with a different command
# (see docker-compose.yml). Build: docker build -t roam .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.build.json ./
COPY subgraphs ./subgraphs
COPY gateway ./gateway
COPY operation-limits ./operation-limits
COPY persisted-queries ./persisted-queries
COPY testkit ./testkit
COPY redis ./redis
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app /app
COPY supergraph.graphql ./supergraph.graphql
USER node
# Overridden per service in docker-compose.yml.
CMD ["node", "gateway/dist/bin.js"]
