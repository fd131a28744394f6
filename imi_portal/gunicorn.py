"""gunicorn settings for production (`gunicorn -c python:imi_portal.gunicorn imi_portal.wsgi`).

The access log says what was asked and how it went, never who asked: no client address, no
referrer, no user agent (gunicorn's default format has all three). Query strings are kept:
they hold only the public list's filters; the hotline's forms and the tracking code travel in
POST bodies, which are never logged.
"""

import os

import environ

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'

# Production traffic only behind the proxy (issue 29). gunicorn's sync workers hold one
# request each: three clients that send their headers slowly took a directly exposed site
# down. nginx holds slow clients (deploy/nginx); where it is in front, TRUSTED_PROXY_NETWORKS
# names it. Without that, gunicorn refuses to start in production unless GUNICORN_DIRECT
# says, explicitly, that it is meant to be reached directly (a test, a private network).
# The settings' own reader (django-environ): "1", "true", "yes", "on" and the rest alike.
_env = environ.Env()

if (
    not _env.bool("DEBUG", default=False)
    and not os.environ.get("TRUSTED_PROXY_NETWORKS")
    and not _env.bool("GUNICORN_DIRECT", default=False)
):
    raise SystemExit(
        "imi_portal.gunicorn: refusing to serve production traffic without the proxy in "
        "front. Put nginx (deploy/nginx) in front and set TRUSTED_PROXY_NETWORKS to its "
        "address, or set GUNICORN_DIRECT=1 to run without it (then three slow clients can "
        "take the site down: see the README, 'Production')."
    )
