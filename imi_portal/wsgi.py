import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imi_portal.settings")

application = get_wsgi_application()

# What was loaded to start (Django, the apps, the URLs, the translations) lives as long as
# the process: moved out of the garbage collector's sight, it is not walked again on every
# full collection during requests (a tenth of an API page's miss, bench/README.md). Objects
# are still freed when nothing refers to them; only cycles among these few are kept.
gc.freeze()
