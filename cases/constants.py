"""The domain's fixed vocabularies. Labels are the Chinese terms, shown in
English when the user picks English (msgids are English, see locale/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    FEEDBACK_PROBLEM = "feedback_problem", _("Inspection feedback problem")
    PETITION = "petition", _("Petition")
    WARNING_ITEM = "warning_item", _("Warning film problem")
    PROVINCIAL_PROBLEM = "provincial_problem", _("Provincial inspection problem")


PROBLEM_KINDS = (Kind.FEEDBACK_PROBLEM, Kind.PROVINCIAL_PROBLEM)


class Status(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING_ACCEPTANCE = "pending_acceptance", _("Awaiting acceptance")
    IN_PUBLICITY = "in_publicity", _("In publicity")
    CLOSED = "closed", _("Closed")


# A case can be overdue only while the city still holds it; once submitted,
# a passed deadline is the supervisor's backlog, not the city's delay.
WITH_CITY_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)


class Level(models.TextChoices):
    """The levels of the administrative tree a case is reviewed at, bottom up."""

    COUNTY = "county", _("County level")
    CITY = "city", _("City level")
    PROVINCE = "province", _("Province level")


# Bottom up: a submission is reviewed by each level above the case's own,
# up to the accepting level.
LEVELS_UP = (Level.COUNTY, Level.CITY, Level.PROVINCE)


class ReviewResult(models.TextChoices):
    APPROVED = "approved", _("Approved, passed up")
    RETURNED = "returned", _("Returned to the level below")
    PUBLICIZED = "publicized", _("Accepted, put in publicity")
    CLOSED = "closed", _("Accepted and closed")


class DeadlineType(models.TextChoices):
    IMMEDIATE = "immediate", _("Rectify immediately")
    DATED = "dated", _("Rectify by a deadline")
    LONG_TERM = "long_term", _("Long-term")


class CampaignKind(models.TextChoices):
    CENTRAL = "central", _("Central inspection")
    PROVINCIAL = "provincial", _("Provincial inspection")
    WARNING_FILM = "warning_film", _("Yangtze warning film")


class Veracity(models.TextChoices):
    TRUE = "true", _("True")
    MOSTLY_TRUE = "mostly_true", _("Mostly true")
    PARTLY_TRUE = "partly_true", _("Partly true")
    FALSE = "false", _("Not true")


class PollutionType(models.TextChoices):
    AIR = "air", _("Air")
    WATER = "water", _("Water")
    NOISE = "noise", _("Noise")
    SOIL = "soil", _("Soil")
    ECOLOGY = "ecology", _("Ecology")
    SOLID_WASTE = "solid_waste", _("Solid waste")
    RADIATION = "radiation", _("Radiation")
    OTHER = "other", _("Other")


# A petition's accountability figures (问责情况), in the published order.
ACCOUNTABILITY_FIELDS = (
    "ordered_to_rectify",
    "penalty_cases",
    "fines_yuan",
    "criminal_cases",
    "detentions",
    "summons",
    "people_held_accountable",
)


class EventAction(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status changed")
    UPDATED = "updated", _("Updated")
    EVIDENCE = "evidence", _("Evidence attached")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # A division's report in a dispatch round (调度): new progress or no change.
    REPORTED = "reported", _("Dispatch report")


# Petitions are "handled" (办理), problems "rectified" (整改): the same status
# and the same move read differently on a petition. These are the one place
# a kind's wording lives; badges, the timeline, the buttons, the filters, the
# exports, the reminders and the API's labels all read them from here.
PETITION_STATUS_LABELS = {
    Status.IN_PROGRESS: pgettext_lazy("petition", "In progress"),
    Status.PENDING_ACCEPTANCE: pgettext_lazy("petition", "Awaiting review"),
    Status.CLOSED: pgettext_lazy("petition", "Closed"),
}
PETITION_ACTION_LABELS = {
    "start": pgettext_lazy("petition", "Start handling"),
    "submit": pgettext_lazy("petition", "Submit for review"),
    "close": pgettext_lazy("petition", "Approve and close"),
}


def status_label(status: str, kind: str | None) -> str:
    if kind == Kind.PETITION and status in PETITION_STATUS_LABELS:
        return str(PETITION_STATUS_LABELS[status])
    return str(Status(status).label)


def action_label(action: str, kind: str | None, default) -> str:
    """A workflow move's name for a case of ``kind``; ``default`` is the
    rule's own label (cases.workflow)."""
    if kind == Kind.PETITION and action in PETITION_ACTION_LABELS:
        return str(PETITION_ACTION_LABELS[action])
    return str(default)


def status_choices(kind: str | None = None, statuses=None) -> list[tuple[str, str]]:
    """(value, label) of ``statuses`` (all by default) for a select. With no
    kind chosen, a status that reads differently by kind shows every
    reading (整改中 / 办理中), so a petition's officer finds their word."""
    statuses = Status.values if statuses is None else [str(s) for s in statuses]
    if kind:
        return [(status, status_label(status, kind)) for status in statuses]
    choices = []
    for status in statuses:
        readings = list(dict.fromkeys(status_label(status, k) for k in Kind.values))
        choices.append((status, " / ".join(readings)))
    return choices
class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class DivisionKind(models.TextChoices):
    """GB/T 2260's kinds of division, finer than the level."""

    PROVINCE = "province", _("Province")
    AUTONOMOUS_REGION = "autonomous_region", _("Autonomous region")
    MUNICIPALITY = "municipality", _("Municipality")
    SAR = "sar", _("Special administrative region")
    PREFECTURE_CITY = "prefecture_city", _("Prefecture-level city")
    PREFECTURE = "prefecture", _("Prefecture")
    AUTONOMOUS_PREFECTURE = "autonomous_prefecture", _("Autonomous prefecture")
    LEAGUE = "league", _("League")
    MUNICIPAL_AREA = "municipal_area", _("Districts and counties of a municipality")
    DIRECT_COUNTIES = "direct_counties", _("County-level divisions directly under the province")
    DISTRICT = "district", _("District")
    COUNTY_CITY = "county_city", _("County-level city")
    COUNTY = "county", _("County")
    AUTONOMOUS_COUNTY = "autonomous_county", _("Autonomous county")
    BANNER = "banner", _("Banner")
    AUTONOMOUS_BANNER = "autonomous_banner", _("Autonomous banner")
    SPECIAL_DISTRICT = "special_district", _("Special district")
    FORESTRY_DISTRICT = "forestry_district", _("Forestry district")


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", _("People's government")
    BUREAU = "bureau", _("Government department")
    ENTERPRISE = "enterprise", _("Enterprise")
    INSTITUTION = "institution", _("Public institution")
    OTHER = "other", _("Other")


# How a unit's name says what it is, checked in order.
UNIT_KIND_WORDS = (
    ("人民政府", UnitKind.GOVERNMENT),
    ("管委会", UnitKind.GOVERNMENT),
    ("公司", UnitKind.ENTERPRISE),
    ("企业", UnitKind.ENTERPRISE),
    ("厂", UnitKind.ENTERPRISE),
    ("局", UnitKind.BUREAU),
    ("厅", UnitKind.BUREAU),
    ("委", UnitKind.BUREAU),
    ("办", UnitKind.BUREAU),
    ("部门", UnitKind.BUREAU),
    ("中心", UnitKind.INSTITUTION),
    ("院", UnitKind.INSTITUTION),
)


def unit_kind_for(name: str) -> str:
    for word, kind in UNIT_KIND_WORDS:
        if word in name:
            return kind
    return UnitKind.OTHER
