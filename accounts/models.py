from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    SUPERVISOR = "supervisor", _("Provincial supervisor")
    API_CLIENT = "api_client", _("API client")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """A person or a machine account, bound to a division of the tree (the
    province office, a city bureau, a county bureau) and optionally to a
    unit in it; what it may see is ``cases.scope.scope_of(user)``.

    Officers work for their division (or unit); supervisors are the
    province's office; API clients are bound to any division and may be
    read-only; administrators manage accounts and reference data.
    """

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICER)
    division = models.ForeignKey(
        "cases.Division",
        verbose_name=_("division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("The account sees this division's subtree."),
    )
    unit = models.ForeignKey(
        "cases.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("Optional: the account then sees only the cases its unit leads or cooperates on."),
    )
    # Derived from the division on every save: the city the account belongs
    # to (empty for a province-level account).
    city = models.ForeignKey(
        "cases.City",
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        editable=False,
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
                condition=Q(role=Role.ADMIN) | Q(division__isnull=False), name="user_has_division"
            ),
            models.CheckConstraint(
                condition=~Q(role__in=[Role.SUPERVISOR, Role.ADMIN]) | Q(city__isnull=True),
                name="supervisor_has_no_city",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.SUPERVISOR) | Q(unit__isnull=True), name="supervisor_has_no_unit"
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
        """Bound to a province (or an unbound administrator), not to a unit."""
        if self.unit_id is not None:
            return False
        if self.division_id is None:
            return self.role == Role.ADMIN
        return self.division_id.endswith("0000")

    @property
    def may_write(self) -> bool:
        """Whether this account may change cases at all (before city rules)."""
        if not self.is_active:
            return False
        if self.is_api_client:
            return self.can_write
        return self.role in (Role.OFFICER, Role.SUPERVISOR)

    def derive_city(self) -> None:
        """The city from the division. (Callers that still give only a city
        get its division; a supervisor or API client given neither is bound
        to the home province.)"""
        from cases.divisions import HOME_PROVINCE
        from cases.models import city_code_of

        if self.division_id is None and self.role != Role.ADMIN:
            self.division_id = self.city_id or HOME_PROVINCE
        self.city_id = city_code_of(self.division_id)

    def scope_errors(self) -> dict:
        """What is wrong with this account's binding, by field."""
        from cases.divisions import in_subtree

        errors = {}
        if self.role != Role.ADMIN and self.division_id is None:
            errors["division"] = _("An account must be bound to a division.")
        if self.role == Role.SUPERVISOR and self.division_id and not self.division_id.endswith("0000"):
            errors["division"] = _("A supervisor is bound to a province.")
        if self.role == Role.SUPERVISOR and self.unit_id:
            errors["unit"] = _("A supervisor is not bound to a unit.")
        elif self.unit_id is not None and not in_subtree(self.unit.division_id, self.division_id or ""):
            errors["unit"] = _("The unit %(unit)s is not in the account's division %(division)s.") % {
                "unit": self.unit.name,
                "division": self.division_id,
            }
        return errors

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        self.derive_city()
        errors = self.scope_errors()
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        from django.core.exceptions import ValidationError

        self.derive_city()
        errors = self.scope_errors()
        if errors:
            raise ValidationError(errors)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and ("division" in update_fields or "city" in update_fields):
            kwargs["update_fields"] = {*update_fields, "division", "city"}
        super().save(*args, **kwargs)
