"""Factories for test data. Cases are built directly (not through the
services) so that a test can start from any status; tests of the services
themselves go through the services."""

import datetime

import factory
from django.utils import timezone

from accounts.models import User
from cases.models import Campaign, Case, City

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    role = "officer"
    city = factory.LazyFunction(lambda: City.objects.get(code="360100"))
    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or PASSWORD)
        if create:
            user.save(update_fields=["password"])


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ("code",)

    code = "test-central-2"
    kind = "central"
    name = "第二轮中央生态环境保护督察（测试）"
    round = 2
    year = 2021
    # The chain's tests accept without the evidence checklist or a file;
    # tests/test_evidence_standards.py turns both on.
    standards_required = False
    allow_acceptance_without_evidence = True


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    campaign = factory.SubFactory(CampaignFactory)
    reference = factory.Sequence(lambda n: f"T-{n:05d}")
    kind = "feedback_problem"
    title = factory.Sequence(lambda n: f"测试问题 {n}（合成数据）")
    description = "合成测试数据，非真实案件。"
    city = factory.LazyFunction(lambda: City.objects.get(code="360100"))
    deadline_type = "dated"
    deadline = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    status = "assigned"


class PetitionFactory(CaseFactory):
    kind = "petition"
    acceptance_number = factory.Sequence(lambda n: f"X2JX20210415{n:04d}")
    reference = factory.LazyAttribute(lambda c: c.acceptance_number)
    pollution_types = ["air"]
