# syntax=docker/dockerfile:1
#
# queue-watchdog: the sidecar image (Node 24 LTS, production dependencies only, non-root).
#
#   docker build -t queue-watchdog:0.1.0 .
#   docker run --rm -e REDIS_URL=redis://10.0.0.5:6379/0 -p 127.0.0.1:9464:9464 queue-watchdog:0.1.0
#   docker run --rm -e REDIS_URL=redis://10.0.0.5:6379/0 queue-watchdog:0.1.0 check --json   # one pass, exit 0-3
#
# The user. The release checks read the worker master's /proc/<pid>/cwd, which the kernel only
# allows to the same UID (or CAP_SYS_PTRACE). Run the container as the app's UID: either at run
# time (Kubernetes `runAsUser`, `docker run --user 1000:1000`; no passwd entry is needed), or
# bake it in:
#   docker build --build-arg APP_UID=1000 --build-arg APP_GID=1000 -t queue-watchdog:0.1.0 .
# The files under /app belong to root and are world-readable, so any UID can run them.

# ---- build: compile TypeScript to dist/ (needs the devDependencies) -----------------------
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `npm ci` would run the `prepare` script (the tsc build) before the sources
# are copied in; the build runs explicitly below, after them, so this layer stays cached while
# only src/ changes.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# The build's own step after tsc: copies the Lua scripts in src/ into dist/.
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- prod-deps: node_modules without devDependencies ---------------------------------------
# Its own `npm ci --omit=dev`: `prepare` cannot run here (no TypeScript), hence --ignore-scripts.
# The only dependency with an install script, msgpackr-extract (optional, via bullmq), just
# checks for its prebuilt binary, which arrives as an optional package and is loaded at run time.
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
ARG APP_UID=10001
ARG APP_GID=10001
ARG VERSION=0.1.0

LABEL org.opencontainers.image.title="queue-watchdog" \
      org.opencontainers.image.description="Watches BullMQ queues and their worker processes; alerts through Sentry when work silently stops flowing." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"

# tini as PID 1: forwards SIGTERM/SIGINT to node (which shuts down in order within 10 s) and
# reaps zombies. TINI_SUBREAPER keeps it correct (and quiet) when it is not PID 1, e.g. in a
# pod with shareProcessNamespace or a compose service with `pid: service:...`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

# A named user for the default UID; skipped when the UID/GID already exists (the base image's
# `node` user is 1000:1000).
RUN if ! getent group "${APP_GID}" >/dev/null; then groupadd --system --gid "${APP_GID}" watchdog; fi \
    && if ! getent passwd "${APP_UID}" >/dev/null; then \
         useradd --system --uid "${APP_UID}" --gid "${APP_GID}" --no-create-home \
                 --home-dir /nonexistent --shell /usr/sbin/nologin watchdog; \
       fi

WORKDIR /app
# package.json is needed at run time: "type": "module" makes dist/*.js ES modules, and the CLI
# reads its version from it.
COPY package.json ./
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist

# --max-old-space-size: V8 sizes its heap from the host's memory, not the container's limit, and
# lets garbage pile up to it. 160 MB holds a daemon watching 10,000 queues that all alert at once
# (peak RSS about 245 MB, see BENCHMARKS.md); give the container 320 MiB. About 10 MB of heap per
# 1,000 queues beyond that: raise both together.
ENV NODE_ENV=production \
    NODE_OPTIONS="--enable-source-maps --max-old-space-size=160" \
    TINI_SUBREAPER=1

USER ${APP_UID}:${APP_GID}

# /healthz /readyz /metrics /status of `watchdog run` (the CMD below listens on all interfaces).
EXPOSE 9464

# Liveness from inside the container, with node itself (the image has no curl). It probes the
# port of the default CMD: if you change --listen, change it too (or disable it with
# `--no-healthcheck` / compose `healthcheck: { disable: true }`, e.g. for `check` or demo runs).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

ENTRYPOINT ["tini", "--", "node", "/app/dist/cli.js"]
CMD ["run", "--listen", "0.0.0.0:9464"]
