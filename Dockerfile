# schema-audit for CI systems that run containers:
#   docker build -t schema-audit .
#   docker run --rm -v "$PWD:/work" schema-audit audit -s specs/schema.yaml -m alembic/ --replay
# The image carries Debian's PostgreSQL server binaries so that --replay and the probes can
# start their throwaway cluster inside the container; it runs as an unprivileged user.
FROM python:3.12-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /dist

FROM python:3.12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl \
    && useradd --create-home audit
USER audit
WORKDIR /work
ENTRYPOINT ["schema-audit"]
CMD ["--help"]
