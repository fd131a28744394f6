# Production image: the same hash-locked dependencies as `make run`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# libcairo2: CairoSVG draws the barometer's charts as PNG; fonts-dejavu-core: their text,
# Cyrillic included.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcairo2 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/base.txt

COPY . .
# collectstatic reads settings; this throwaway key is never used to sign anything.
RUN DEBUG=0 SECRET_KEY="collectstatic-only-$(python -c 'import secrets; print(secrets.token_hex(32))')" \
    EVIDENCE_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
    python manage.py collectstatic --noinput \
 && useradd --system --home /app imi \
 && mkdir -p /data/private_media && chown imi /data/private_media && chmod 700 /data/private_media

USER imi
EXPOSE 8000
CMD ["gunicorn", "-c", "python:imi_portal.gunicorn", "imi_portal.wsgi:application"]
