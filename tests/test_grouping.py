"""Tests marked with one `xdist_group` run on one worker, one after the other (see `tests/conftest.py`).

Under `--dist loadgroup` a grouped test's id carries its group (`<id>@<group>`): that suffix is what the
scheduler reads to send the group to one worker as one unit, so it is what is checked. Without xdist (no
loadgroup) there is nothing to group and the test holds trivially.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("test_grouping")


def test_a_grouped_test_carries_its_group_to_the_scheduler(request):
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@test_grouping"), request.node.nodeid
