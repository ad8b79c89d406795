# One image for the workers, the APIs and the one-shot setup jobs; the command picks the process.
# Production dependencies only, pinned with hashes (requirements.lock, `pip-compile --generate-hashes`):
# no Temporal dev server, no embedded PostgreSQL, no test tools.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/ticketflow
COPY requirements.lock /src/
RUN /opt/ticketflow/bin/pip install --require-hashes -r /src/requirements.lock
COPY pyproject.toml README.md /src/
COPY domain /src/domain
COPY workflows /src/workflows
COPY activities /src/activities
COPY store /src/store
COPY api /src/api
COPY worker /src/worker
COPY infra /src/infra
COPY cli /src/cli
COPY reading /src/reading
# Bytecode written now: the running user cannot write the install, and the worker's sandbox imports the
# workflow modules afresh for every run.
RUN /opt/ticketflow/bin/pip install --no-deps /src \
 && /opt/ticketflow/bin/python -m compileall -q /opt/ticketflow/lib

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PATH=/opt/ticketflow/bin:$PATH TICKETFLOW_LOG_FORMAT=json
RUN useradd --system --uid 10001 --home-dir /var/lib/ticketflow --create-home ticketflow
COPY --from=build /opt/ticketflow /opt/ticketflow
USER 10001
WORKDIR /var/lib/ticketflow
EXPOSE 8000
# The default process is a worker: ready while Temporal sees it polling. The API services override this
# with an HTTP check of /readyz.
HEALTHCHECK --interval=30s --timeout=20s --start-period=60s --retries=3 CMD ["ticketflow", "worker-ready"]
CMD ["ticketflow", "worker"]
