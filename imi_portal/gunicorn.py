"""gunicorn settings for production (`gunicorn -c python:imi_portal.gunicorn imi_portal.wsgi`).

The access log says what was asked and how it went, never who asked: no client address, no
referrer, no user agent (gunicorn's default format has all three). Query strings are kept:
they hold only the public list's filters; the hotline's forms and the tracking code travel in
POST bodies, which are never logged.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
