# One image for Hunter's web, worker and beat processes (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HUNTER_VAR_DIR=/app/var

WORKDIR /app

# Requirements first: code changes then reuse the cached dependency layer.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN mkdir -p /app/var

# Static files are baked into the image with production storage (hashed names). The secret
# below exists only for this build step; the containers refuse to start without a real one.
RUN HUNTER_ENV=production ALLOWED_HOSTS=build \
    SECRET_KEY=build-only-secret-key-never-used-at-runtime-0123456789abcdef \
    python manage.py collectstatic --noinput --verbosity 0

RUN useradd --system --home-dir /app --shell /usr/sbin/nologin hunter \
    && chown -R hunter:hunter /app/var
USER hunter

EXPOSE 8000
CMD ["python", "-m", "gunicorn", "--config", "hunter/gunicorn.conf.py", "hunter.wsgi:application"]
