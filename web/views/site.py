"""What every site answers besides its pages: the icon browsers ask for."""

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers fetch /favicon.ico on every first load whatever the page
    links to; the static icon answers it instead of a 404."""
    path = finders.find("web/favicon.ico")
    if path is None:
        raise Http404
    return FileResponse(open(path, "rb"), content_type="image/x-icon")
