from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("City officer")
    SUPERVISOR = "supervisor", _("Provincial supervisor")
    API_CLIENT = "api_client", _("API client")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """A person or a machine account.

    Officers are bound to one city; supervisors see the whole province; API
    clients are bound to a city or (no city) to the province and may be
    read-only; administrators manage accounts and reference data.
    """

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICER)
    city = models.ForeignKey(
        "cases.City",
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    can_write = models.BooleanField(
        _("may write"),
        default=False,
        help_text=_("For API clients: whether the token may change cases."),
    )
    language = models.CharField(
        _("language"), max_length=8, default="zh-hans", choices=[("zh-hans", "简体中文"), ("en", "English")]
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.OFFICER) | Q(city__isnull=False), name="officer_has_city"
            ),
            models.CheckConstraint(
                condition=~Q(role__in=[Role.SUPERVISOR, Role.ADMIN]) | Q(city__isnull=True),
                name="supervisor_has_no_city",
            ),
        ]

    @property
    def is_officer(self) -> bool:
        return self.role == Role.OFFICER

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def is_api_client(self) -> bool:
        return self.role == Role.API_CLIENT

    @property
    def sees_whole_province(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN) or (self.is_api_client and self.city_id is None)

    @property
    def may_write(self) -> bool:
        """Whether this account may change cases at all (before city rules)."""
        if not self.is_active:
            return False
        if self.is_api_client:
            return self.can_write
        return self.role in (Role.OFFICER, Role.SUPERVISOR)

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        if self.role == Role.OFFICER and not self.city_id:
            raise ValidationError({"city": _("An officer must be bound to a city.")})
        if self.role in (Role.SUPERVISOR, Role.ADMIN) and self.city_id:
            raise ValidationError({"city": _("Supervisors and administrators are province-wide; leave the city empty.")})
