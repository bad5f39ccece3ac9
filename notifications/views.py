"""The notification centre's pages: one's own notifications only."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .models import Notification
from .urgings import may_urge, urgeable_divisions
from .services import mark_read

PAGE_SIZE = 50


@require_GET
@login_required
def notification_list(request):
    mine = Notification.objects.for_user(request.user)
    rows = mine.unread() if request.GET.get("unread") == "true" else mine
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    page = list(rows.order_by("-id")[: PAGE_SIZE + 1])
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": page[:PAGE_SIZE],
            "older": page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None,
            "only_unread": request.GET.get("unread") == "true",
            "may_urge": may_urge(request.user),
            "divisions": urgeable_divisions(request.user).order_by("code"),
        },
    )


@require_GET
@login_required
def notification_open(request, pk: int):
    """Opening a notification marks it read and leads to what it is about."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    mark_read(user=request.user, ids=[notification.pk])  # for an urging, its receipt
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect("notifications:list")
    return redirect(target)


@require_POST
@login_required
def notification_read(request):
    """Mark the ticked notifications read, or all of them."""
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
    mark_read(user=request.user, ids=None if request.POST.get("all") else ids)
    return redirect("notifications:list")
