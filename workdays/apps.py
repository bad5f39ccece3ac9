from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "workdays"
    verbose_name = _("Working days")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .calendar import forget_remembered
        from .models import ScheduleDay, YearSchedule

        for model in (YearSchedule, ScheduleDay):
            post_save.connect(forget_remembered, sender=model, dispatch_uid=f"forget-{model.__name__}-saved")
            post_delete.connect(forget_remembered, sender=model, dispatch_uid=f"forget-{model.__name__}-deleted")
