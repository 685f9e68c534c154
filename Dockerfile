#
# queue-watchdog: the sidecar image (Node 24 LTS, production dependencies only, non-root, tini,
# HEALTHCHECK), about 150 MB (it was 336 MB on node:24-bookworm-slim).
#
#   docker build -t queue-watchdog:0.1.0 .
#   docker run --rm -e REDIS_URL=redis://10.0.0.5:6379/0 -p 127.0.0.1:9464:9464 queue-watchdog:0.1.0
#   docker run --rm -e REDIS_URL=redis://10.0.0.5:6379/0 queue-watchdog:0.1.0 check --json   # one pass, exit 0-3
#
# Any builder: the classic one (Debian's Docker 20.10 without DOCKER_BUILDKIT=1, `docker-compose`
# v1) and BuildKit alike. So no `# syntax=` line (it makes BuildKit fetch a frontend image from a
# registry, which an air-gapped site cannot) and no `RUN --mount` (BuildKit only). The build needs
# the base image node:24-bookworm-slim, Debian's package archive and the npm registry.
#
# The user. The release checks read the worker master's /proc/<pid>/cwd, which the kernel only
# allows to the same UID (or CAP_SYS_PTRACE). Run the container as the app's UID: either at run
# time (Kubernetes `runAsUser`, `docker run --user 1000:1000`; no passwd entry is needed), or
# bake it in:
#   docker build --build-arg APP_UID=1000 --build-arg APP_GID=1000 -t queue-watchdog:0.1.0 .
# The files under /app belong to root and are world-readable, so any UID can run them.

# ---- build: bundle src/ into dist/ with esbuild (needs the devDependencies) -----------------
FROM node:24-bookworm-slim AS build
ENV npm_config_update_notifier=false
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `npm ci` would run the `prepare` script (the build) before the sources are
# copied in; the build runs explicitly below, after them, so this layer stays cached while only
# src/ changes.
RUN npm ci --ignore-scripts --no-audit --no-fund
# scripts/build.mjs bundles the CLI (dependencies included, split per command), copies the Lua
# scripts beside it and builds the demo's process scripts; tsconfig.json gives esbuild the
# language settings.
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- prod-deps: node_modules without devDependencies, nor what the runtime never loads --------
# Its own `npm ci --omit=dev`: `prepare` cannot run here (no esbuild), hence --ignore-scripts.
# The only dependency with an install script, msgpackr-extract (optional, via bullmq), just
# checks for its prebuilt binary, which arrives as an optional package and is loaded at run time.
# Removed: @sentry/node's bundler plugins (for webpack, vite...: imported only through their own
# subpaths, which the watchdog never imports) with the Sentry CLI binary (21 MB) and the oxc
# parser they bring; type declarations and the source maps of dependencies. Then every
# dependency is imported once, so a removal that the runtime did need fails the build here.
FROM node:24-bookworm-slim AS prod-deps
ENV npm_config_update_notifier=false
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/@sentry/bundler-plugins node_modules/sentry node_modules/oxc-parser \
              node_modules/@oxc-parser \
    && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' \
              -o -name '*.js.map' -o -name '*.cjs.map' -o -name '*.mjs.map' \) -delete \
    && node --input-type=module -e "const { dependencies } = JSON.parse(await (await import('node:fs/promises')).readFile('package.json', 'utf8')); for (const name of Object.keys(dependencies)) await import(name);"

# ---- rootfs: the few files of Debian the runtime needs (a distroless-style base) ------------
# Node (its debug symbols stripped: the runtime never loads them) and the shared libraries it
# and the native addons link to; tini (static); busybox (static) for a shell and the basic
# tools (sh, ls, ps, ln, rm, sleep...); users, name service config, /tmp; the dpkg records of
# those packages and /etc/os-release, so image scanners know what is inside. No apt, no npm.
FROM node:24-bookworm-slim AS rootfs
ARG APP_UID=10001
ARG APP_GID=10001
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini busybox-static binutils \
    && rm -rf /var/lib/apt/lists/*
COPY --from=prod-deps /src/node_modules /tmp/node_modules
RUN set -eu; R=/rootfs; \
    mkdir -p "$R/usr/local/bin" "$R/usr/bin" "$R/bin" "$R/etc" "$R/tmp" "$R/var/lib/dpkg/status.d" "$R/app"; \
    chmod 1777 "$R/tmp"; \
    strip -o "$R/usr/local/bin/node" /usr/local/bin/node; \
    cp /usr/bin/tini-static "$R/usr/bin/tini"; \
    cp "$(command -v busybox)" "$R/bin/busybox"; \
    for tool in sh ash ls cat cp ln rm mv mkdir rmdir ps top kill sleep id env grep sed head tail \
                wc find stat readlink realpath du df date hostname nc wget; do \
      ln -s busybox "$R/bin/$tool"; \
    done; \
    { ldd /usr/local/bin/node; find /tmp/node_modules -name '*.node' ! -name '*musl*' -exec ldd {} \; ; } \
      | grep -o '/[^ ]*\.so[^ ]*' | sort -u | while read -r lib; do cp -L --parents "$lib" "$R"; done; \
    printf 'root:x:0:0:root:/root:/bin/sh\nwatchdog:x:%s:%s:queue-watchdog:/nonexistent:/sbin/nologin\n' \
      "$APP_UID" "$APP_GID" > "$R/etc/passwd"; \
    printf 'root:x:0:\nwatchdog:x:%s:\n' "$APP_GID" > "$R/etc/group"; \
    cp /etc/nsswitch.conf /etc/os-release "$R/etc/"; \
    for pkg in libc6 libgcc-s1 libstdc++6 tini busybox-static; do \
      dpkg-query -s "$pkg" > "$R/var/lib/dpkg/status.d/$pkg"; \
    done; \
    "$R/usr/local/bin/node" --version

# ---- runtime ------------------------------------------------------------------------------
FROM scratch AS runtime
ARG APP_UID=10001
ARG APP_GID=10001
ARG VERSION=0.1.0

LABEL org.opencontainers.image.title="queue-watchdog" \
      org.opencontainers.image.description="Watches BullMQ queues and their worker processes; alerts through Sentry when work silently stops flowing." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"

COPY --from=rootfs /rootfs/ /
WORKDIR /app
# package.json is needed at run time: "type": "module" makes dist/*.js ES modules, and the CLI
# reads its version from it.
COPY package.json ./
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist

# tini as PID 1: forwards SIGTERM/SIGINT to node (which shuts down in order within 10 s) and
# reaps zombies. TINI_SUBREAPER keeps it correct (and quiet) when it is not PID 1, e.g. in a
# pod with shareProcessNamespace or a compose service with `pid: service:...`.
# --max-old-space-size: V8 sizes its heap from the host's memory, not the container's limit, and
# lets garbage pile up to it. A safety net: a daemon watching 10,000 queues that all alert at once
# has a live heap of 160-185 MB at its peak (see BENCHMARKS.md); give the container 384 MiB. About
# 20 MB of heap per 1,000 queues beyond that: raise both together.
# --max-semi-space-size=2: the young generation (where each poll's short-lived objects are born)
# at 2 MB per semi-space instead of the 16 MB V8 picks on a large host: -8 MB for `run` at 100
# queues (84 -> 76 MB), -30 MB for `check` at 10,000 (156 -> ~125 MB); poll times the same within
# this machine's noise (BENCHMARKS.md, "Young generation"). Not a cap: the heap still grows as it needs.
# No --enable-source-maps: Node would parse the bundle's source maps at start-up (+5 MB); stack
# traces still name functions (the bundle keeps names). Add it to NODE_OPTIONS for traces that
# point into src/ (the maps ship in dist/).
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=2" \
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
