"""Tests marked with one `xdist_group` run on one worker, one after the other (see `tests/conftest.py`).

Under `--dist loadgroup` a grouped test's id carries its group (`<id>@<group>`): that suffix is what the
scheduler reads to send the group to one worker as one unit, so it is what is checked, with the module
fixture the two tests share built once. Without xdist both hold trivially.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.xdist_group("test_grouping")

_built: list[str] = []


@pytest.fixture(scope="module")
def worker() -> str:
    _built.append(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    return _built[-1]


def test_a_group_is_one_unit_of_work(worker, request):
    assert len(_built) == 1, _built
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@test_grouping")


def test_its_second_test_meets_the_same_fixture(worker, request):
    assert len(_built) == 1, _built
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@test_grouping")
