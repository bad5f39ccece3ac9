"""The product's settings, with the baseline's URLs instead of the product's."""

from tracker.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.baseline.urls"
