import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_wsgi_application()

# The server's workers give back what a large answer freed (tracker/memory.py).
from tracker.memory import release_freed_memory  # noqa: E402 - needs the settings above

request_finished.connect(release_freed_memory, dispatch_uid="tracker-release-freed-memory")
