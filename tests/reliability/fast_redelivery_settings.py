"""Test settings of a worker that takes over a dead worker's unacknowledged tasks after seconds.

Production keeps an hour (gridcity.settings): with Redis as the broker, a task whose worker
died without a word comes back only after the visibility timeout, which must exceed the
longest task. The fault test cannot wait an hour, so its second worker uses five seconds.
"""

from tests.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 5}
