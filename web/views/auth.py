"""Login, logout, the lockout page and the language switch."""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def _remember_language(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The account's language follows the person to any browser they use.
        language = form.get_user().language
        if language in LANGUAGE_CODES:
            _remember_language(response, language)
        return response


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers once an account is locked: the login page
    again, saying why and for how long, instead of a bare error."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = round(float(cool_off) * 60) if cool_off else None
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = auth_forms.AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked_out": True,
        "cool_off_minutes": minutes,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "web/login.html", context, status=429)


@require_POST
def switch_language(request):
    """Django's set_language (a cookie, for anonymous visitors too), plus
    the account's own setting so the choice follows the person."""
    response = set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and language in LANGUAGE_CODES and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
