#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imi_portal.settings")
    # manage.py is the developer's tool: with nothing configured it runs in local mode, as
    # cookiecutter-django's manage.py picks local settings. Servers never start through it:
    # gunicorn (wsgi.py) and Celery read DEBUG as given, off by default, and every
    # production command (docker-compose, Dockerfile, make deploy-check) sets DEBUG=0.
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
