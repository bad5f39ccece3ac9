import pytest

from tests.reminders.conftest import celery_in_process, overdue_case, run_day  # noqa: F401 (fixtures)

from .fakerobot import FakeRobots


@pytest.fixture
def robots(settings):
    """The fake robots and SMS service, with SMS pointed at them and no
    real pause between robot messages unless a test asks for one."""
    server = FakeRobots().start()
    host, port = server.server.server_address
    settings.ALIYUN_SMS_ENDPOINT = f"{host}:{port}"
    settings.ALIYUN_SMS_PROTOCOL = "HTTP"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "LTAI-test-id"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "test-access-secret-0001"
    settings.ALIYUN_SMS_SIGN_NAME = "江西整改"
    settings.ALIYUN_SMS_TEMPLATE_DIGEST = "SMS_000000001"
    settings.ROBOT_MESSAGES_PER_MINUTE = 60000
    settings.ROBOT_RATE_LIMIT_WAIT_SECONDS = 0.2
    yield server
    server.stop()
