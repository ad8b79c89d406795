# One image for the worker, the API and the one-shot setup jobs; the command picks the process.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY store ./store
COPY api ./api
COPY worker ./worker
COPY infra ./infra
COPY cli ./cli
COPY reading ./reading
RUN pip install --no-cache-dir . && useradd --system --uid 10001 ticketflow
USER ticketflow
ENV TICKETFLOW_LOG_FORMAT=json
EXPOSE 8000
CMD ["ticketflow", "worker"]
