"""python manage.py add_channel --division CODE|--unit ID|--user NAME --kind email|dingtalk|wecom|sms --address ... [--secret ...]

Adds a channel on which an account, or a division's or a unit's group,
gets its reminders and urgings. The secret (a DingTalk robot's signing
secret) and the key in a robot's webhook are never printed back."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cases.models import Division, Unit
from notifications.models import ChannelKind
from notifications.services import add_channel


class Command(BaseCommand):
    help = (
        "Add a reminder channel (e-mail, DingTalk or WeCom robot, SMS) to an account, "
        "or to a division's or a unit's group."
    )

    def add_arguments(self, parser):
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--division", help="A division's GB/T 2260 code, e.g. 360403: its group's channel.")
        owner.add_argument("--unit", type=int, help="A unit's id (see the admin): its group's channel.")
        owner.add_argument("--user", help="The account's user name.")
        parser.add_argument("--kind", required=True, choices=ChannelKind.values)
        parser.add_argument("--address", required=True, help="E-mail address, robot webhook URL or mobile number.")
        parser.add_argument("--secret", default="", help="A DingTalk robot's signing secret (SEC…).")
        parser.add_argument("--label", default="", help="A name to tell it apart, e.g. the group's.")

    def handle(self, *args, division, unit, user, kind, address, secret, label, **options):
        owner = {"division": self.find(Division, "division", "code", division)} if division is not None else (
            {"unit": self.find(Unit, "unit", "pk", unit)} if unit is not None else {"user": self.find(User, "user", "username", user)}
        )
        try:
            channel = add_channel(**owner, kind=kind, address=address, secret=secret, label=label)
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"--{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            ) from None
        self.stdout.write(f"Channel {channel.pk}: {channel} for {channel.owner}")

    @staticmethod
    def find(model, option: str, field: str, value):
        try:
            return model.objects.get(**{field: value})
        except model.DoesNotExist:
            raise CommandError(f"--{option}: no {option} “{value}”.") from None
