"""Pages of urging (催办): urge, read an urging, sign for it (签收)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cases.models import Division
from cases.querysets import local_today

from .models import ReceiptWay
from .urgings import is_responsible, receive, urge, urge_overdue, visible_urging


@require_http_methods(["GET", "POST"])
@login_required
def urging_detail(request, pk: int):
    """The urging, its cases and receipts. Opening it is a responsible
    account's receipt; the button says so explicitly (签收)."""
    urging = visible_urging(user=request.user, pk=pk)
    way = ReceiptWay.SIGNED if request.method == "POST" else ReceiptWay.OPENED
    if receive(urging=urging, account=request.user, way=way) and way == ReceiptWay.SIGNED:
        messages.success(request, _("Signed for."))
    if request.method == "POST":
        return redirect("notifications:urging", pk=pk)
    receipts = list(urging.receipts.select_related("account"))
    return render(
        request,
        "notifications/urging.html",
        {
            "urging": urging,
            "cases": list(urging.cases.order_by("pk")),
            "receipts": receipts,
            "signed": any(r.account_id == request.user.pk for r in receipts),
            "responsible": is_responsible(urging=urging, account=request.user),
        },
    )


@require_POST
@login_required
def urge_cases(request):
    """Urge the given cases, or a division's overdue cases, with a note
    (``city`` is the older name of ``division``)."""
    note = request.POST.get("note", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("notifications:list")
    try:
        code = request.POST.get("division") or request.POST.get("city")
        if code:
            division = get_object_or_404(Division, pk=code)
            urgings = urge_overdue(actor=request.user, division=division, note=note, today=local_today())
        else:
            ids = [int(v) for v in request.POST.getlist("case") if v.isdigit()]
            urgings = urge(actor=request.user, case_ids=ids, note=note)
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
        return redirect(back)
    count = sum(u.cases.count() for u in urgings)
    messages.success(request, ngettext("Urged %(count)d case.", "Urged %(count)d cases.", count) % {"count": count})
    return redirect(back)
