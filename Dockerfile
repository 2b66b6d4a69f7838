# django-ocr production image: gunicorn on :8000, started by scripts/serve (migrate, then
# gunicorn -c gunicorn.conf.py), the same script the test suite starts in CI.
#   docker build -t django-ocr .
#   docker run -e DJANGO_SECRET_KEY=... -e DATABASE_URL=postgres://... -p 127.0.0.1:8000:8000 django-ocr
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    OMP_THREAD_LIMIT=1 \
    GUNICORN_BIND=0.0.0.0:8000 \
    DATABASE_URL=sqlite:////data/db.sqlite3 \
    DJANGO_MEDIA_ROOT=/data/media

# Tesseract with the English model; the tesserocr wheel brings its own libtesseract.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

# The virtual environment lives outside /app: tesserocr scans its working folder for
# language data when none is configured, and a venv there would slow every start.
RUN python -m venv /opt/venv
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# Static files are collected into the image (served by whitenoise). The secret key is a
# placeholder that exists only for this build step; the container requires a real one.
RUN DJANGO_SECRET_KEY=build-only-placeholder python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ocr \
    && mkdir -p /data && chown ocr /data

# Only /data is writable by the service: the stored images (/data/media) and the
# default SQLite database when DATABASE_URL does not point to a server.
USER ocr
VOLUME ["/data"]
EXPOSE 8000

# /healthz is 200 only when the database answers and the OCR engine is loaded.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["scripts/serve"]
