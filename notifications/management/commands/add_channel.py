"""python manage.py add_channel --user NAME --kind email|dingtalk|wecom|sms --address ... [--secret ...]

Adds a channel on which an account gets its reminders. The secret (a
DingTalk robot's signing secret) and the key in a robot's webhook are
never printed back."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from notifications.models import ChannelKind
from notifications.services import add_channel


class Command(BaseCommand):
    help = "Add a reminder channel (e-mail, DingTalk or WeCom robot, SMS) to an account."

    def add_arguments(self, parser):
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--user", help="The account's user name.")
        parser.add_argument("--kind", required=True, choices=ChannelKind.values)
        parser.add_argument("--address", required=True, help="E-mail address, robot webhook URL or mobile number.")
        parser.add_argument("--secret", default="", help="A DingTalk robot's signing secret (SEC…).")
        parser.add_argument("--label", default="", help="A name to tell it apart, e.g. the group's.")

    def handle(self, *args, user, kind, address, secret, label, **options):
        try:
            account = User.objects.get(username=user)
        except User.DoesNotExist:
            raise CommandError(f"--user: no account named “{user}”.") from None
        try:
            channel = add_channel(user=account, kind=kind, address=address, secret=secret, label=label)
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"--{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            ) from None
        self.stdout.write(f"Channel {channel.pk}: {channel} for {account.username}")
