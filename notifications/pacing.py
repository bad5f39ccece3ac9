"""Robots accept about 20 messages a minute (ROBOT_MESSAGES_PER_MINUTE)
and refuse the rest. A run that would send more paces itself: each
message takes the robot's next free slot, kept on its channel rows (every
row with the same webhook: several accounts may share one group's robot),
so that all workers sending to one robot share one schedule."""

import datetime
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Channel


def take_slot(*, address: str) -> float:
    """Reserve the next slot of the robot at ``address``; returns the
    seconds until it."""
    interval = datetime.timedelta(seconds=60 / settings.ROBOT_MESSAGES_PER_MINUTE)
    with transaction.atomic():
        # The row locks make two workers take consecutive slots, never one.
        booked = max(
            (slot for slot in Channel.objects.select_for_update().filter(address=address).values_list(
                "next_slot_at", flat=True) if slot is not None),
            default=None,
        )  # fmt: skip
        now = timezone.now()
        slot = max(booked or now, now)
        Channel.objects.filter(address=address).update(next_slot_at=slot + interval)
    return (slot - now).total_seconds()


def pace(*, address: str, sleep=time.sleep) -> None:
    wait = take_slot(address=address)
    if wait > 0:
        sleep(wait)


def hold_off(*, address: str, seconds: float) -> None:
    """The robot said "too fast": nobody sends to it for ``seconds``."""
    until = timezone.now() + datetime.timedelta(seconds=seconds)
    Channel.objects.filter(address=address, next_slot_at__lt=until).update(next_slot_at=until)
    Channel.objects.filter(address=address, next_slot_at__isnull=True).update(next_slot_at=until)
