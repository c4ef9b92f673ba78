# The service as a container image: `docker build -t yigang-shuangze .` (README, "Deployment").
# Two stages: the build (all dependencies, esbuild) and the runtime (Node, the production dependencies,
# the built JavaScript; no TypeScript, no Wechaty, no development tools). PGlite keeps its data in the
# /data volume; set DATABASE_URL to use a PostgreSQL server instead (compose.yaml, profile postgres).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the build needs esbuild's JavaScript and platform package, not the driver's patch.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# glibc's allocator: a fixed threshold for mmap (128 KiB, its static default), so large buffers freed after
# the start (PGlite's WebAssembly and file bundle, the compiler's work) go back to the system instead of
# raising the threshold and staying in the heap: about 25 MiB less idle memory (mallopt(3); README, "Start").
ENV NODE_ENV=production \
    DATA_DIR=/data \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app
COPY package.json package-lock.json ./
# The postinstall script (this package's own) patches the PostgreSQL driver: it must be there for npm ci.
COPY scripts/patch-postgres.mjs scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist/
COPY examples/ examples/
RUN mkdir -p /data && chown node:node /data
# The image's unprivileged user (uid 1000); the code and node_modules stay root's, read-only to it.
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# Exec form: node is PID 1 and receives SIGTERM itself (no shell, no npm in between).
CMD ["node", "--enable-source-maps", "dist/node.js"]
