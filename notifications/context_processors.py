from django.utils.functional import SimpleLazyObject


def unread_notifications(request):
    """The header's unread count: one indexed count, only on pages that show it."""

    def count():
        from .models import Notification

        user = getattr(request, "user", None)
        return Notification.objects.for_user(user).unread().count() if user is not None else 0

    return {"unread_notifications": SimpleLazyObject(count)}
