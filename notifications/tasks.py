"""Escalating urgings that were not signed for in time (beat, every few
minutes; safe to run twice: the escalation is a compare-and-swap)."""

from celery import shared_task
from django.utils import timezone

from .urgings import escalate_unreceived


@shared_task(acks_late=True, ignore_result=True)
def escalate_urgings() -> int:
    return len(escalate_unreceived(now=timezone.now()))
