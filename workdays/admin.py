"""The years' holiday schedules, entered by an administrator when the
State Council publishes them; the page warns of years nobody knows."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .calendar import package_days, unknown_years
from .models import DayKind, ScheduleDay, YearSchedule


class ScheduleDayInline(admin.TabularInline):
    model = ScheduleDay
    extra = 3
    fields = ("date", "kind", "name")
    ordering = ("date",)


@admin.action(description=_("Replace the days with the chinese-calendar package's schedule"))
def fill_from_package(modeladmin, request, queryset):
    for schedule in queryset:
        days = package_days(schedule.year)
        if not days:
            modeladmin.message_user(
                request,
                _("The chinese-calendar package does not know %(year)d; enter its days by hand.") % {"year": schedule.year},
                messages.ERROR,
            )
            continue
        with transaction.atomic():
            schedule.days.all().delete()
            ScheduleDay.objects.bulk_create(
                ScheduleDay(schedule=schedule, date=day, kind=kind, name=name) for day, (kind, name) in sorted(days.items())
            )
            schedule.save(update_fields=["updated_at"])
        modeladmin.message_user(
            request, _("%(year)d: %(n)d days copied from the package.") % {"year": schedule.year, "n": len(days)}
        )


@admin.register(YearSchedule)
class YearScheduleAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "holiday_count", "workday_count", "updated_at")
    search_fields = ("year", "source")
    inlines = [ScheduleDayInline]
    actions = [fill_from_package]

    @admin.display(description=_("holidays"))
    def holiday_count(self, schedule):
        return schedule.days.filter(kind=DayKind.HOLIDAY).count()

    @admin.display(description=_("make-up working days"))
    def workday_count(self, schedule):
        return schedule.days.filter(kind=DayKind.WORKDAY).count()

    def changelist_view(self, request, extra_context=None):
        this_year = timezone.localdate().year
        for year in unknown_years([this_year, this_year + 1]):
            self.message_user(
                request,
                _(
                    "No official holiday schedule is known for %(year)d: its working days are counted Monday to "
                    "Friday, without holidays or make-up working days, until you enter its schedule here."
                )
                % {"year": year},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)
