# TermiKnowledge: a slim image with the glossary baked in, run as an unprivileged user.
# Build: docker build -t termiknowledge .   (docker-compose.yml runs it with PostgreSQL)

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY data/glossary ./data/glossary
# The wheel carries the glossary inside the package (bot/_glossary); no compiler needed (asyncpg ships wheels).
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/bot bot
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir /tmp/wheels/*.whl && rm -rf /tmp/wheels
USER bot
WORKDIR /home/bot
# Without DATABASE_URL the bot keeps SQLite here (mount a volume on /home/bot/data to keep it).
ENV DATABASE_PATH=/home/bot/data/termiknowledge.db
RUN mkdir -p /home/bot/data && termiknowledge validate
ENTRYPOINT ["termiknowledge"]
CMD ["run"]
