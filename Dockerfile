# Beneficiary API image: `docker build -t beneficiary-api .`
# Builder: install the project (a wheel, migrations included as app/_migrations) into /opt/venv.
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install .


# Runtime: the virtualenv only, run as a non-root user.
FROM python:3.11-slim AS runtime

RUN groupadd --system --gid 10001 beneficiary \
    && useradd --system --uid 10001 --gid beneficiary --no-create-home \
        --home-dir /srv/beneficiary --shell /usr/sbin/nologin beneficiary \
    && mkdir -p /srv/beneficiary/var \
    && chown -R beneficiary:beneficiary /srv/beneficiary

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# The embedded SQLite default and the development signing secret live in ./var: mount a volume
# at /srv/beneficiary/var to keep them.
WORKDIR /srv/beneficiary
USER beneficiary

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]

# uvicorn drains in-flight requests on SIGTERM for up to BENEFICIARY_SHUTDOWN_GRACE_SECONDS.
STOPSIGNAL SIGTERM
CMD ["beneficiary-api", "serve", "--host", "0.0.0.0"]
