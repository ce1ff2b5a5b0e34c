# Radar: multi-stage build. The runtime image has the virtual environment and the default config,
# runs as a non-root user, keeps its SQLite database and alerts in the /data volume.
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 radar && mkdir /data && chown radar /data
COPY --from=build /app/.venv /app/.venv
COPY config /app/config
ENV PATH=/app/.venv/bin:$PATH RADAR_CONFIG=/app/config/radar.toml PYTHONUNBUFFERED=1
WORKDIR /data
VOLUME /data
# Slack HTTP mode listens here ([slack] port); Socket Mode and Discord need no inbound port.
# /metrics, /healthz and /readyz listen on [metrics] port (9464 in config/compose*.toml).
EXPOSE 3000 9464
USER radar
# Ready = database reachable, scheduler running, outbox not stuck (GET /readyz answers 200). The
# image has no curl, so Python's urllib asks, on the port of the config in use. A config without a
# [metrics] port serves no endpoint: there is nothing to ask, and the check passes.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
  CMD python -c "import os, tomllib, urllib.request as r; p = tomllib.load(open(os.environ['RADAR_CONFIG'], 'rb')).get('metrics', {}).get('port'); p is None or r.urlopen(f'http://127.0.0.1:{p}/readyz', timeout=8)"
CMD ["radar", "run"]
