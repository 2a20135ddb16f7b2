FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 ANONYMIZED_TELEMETRY=False RAGAS_DO_NOT_TRACK=true
COPY pyproject.toml README.md ./
COPY ingest ingest
COPY coach coach
COPY api api
COPY eval eval
COPY seeds seeds
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["sh", "-c", "coach ingest && coach serve --host ${COACH_HOST:-0.0.0.0} --port 8000"]
