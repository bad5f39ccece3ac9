from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "role", "division", "unit", "can_write", "is_active", "last_login")
    list_filter = ("role", "city", "is_active", "can_write")
    list_select_related = ("division", "unit")
    autocomplete_fields = ("division", "unit")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Role and scope"), {"fields": ("role", "division", "unit", "can_write", "language")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Role and scope"), {"fields": ("role", "division", "unit", "can_write", "email")}),
    )
