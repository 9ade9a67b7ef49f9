"""`intake.gx_speed`: GX's configurations kept for one validation and scalar metric ids remembered give what GX
gives without them (the same failing rows: tests/intake/test_suites.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings as settings_h
from hypothesis import strategies as st


def test_a_configuration_is_kept_only_within_one_validation():
    """Outside a validation every read builds a new configuration (a changed expectation is seen); inside one,
    the same object is given back."""
    import great_expectations as gx
    from satudata.intake import gx_speed

    assert gx_speed.install()
    expectation = gx.expectations.ExpectColumnValuesToNotBeNull(column="nik")
    assert expectation.configuration is not expectation.configuration
    with gx_speed.one_validation():
        first = expectation.configuration
        assert expectation.configuration is first
        assert first.kwargs["column"] == "nik"
    expectation.column = "no_kk"
    assert expectation.configuration.kwargs["column"] == "no_kk"


_scalars = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))


@settings_h(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["column", "batch_id", "row_condition", "mostly", "value"]), _scalars,
                                min_size=2), min_size=1, max_size=4))
def test_a_remembered_metric_id_is_the_one_gx_computes(kwargs_list):
    """`IDDict.to_id` remembered for scalar keyword arguments gives what GX computes, for the same names, types
    and values: True is not 1, and a dict seen before another still gets its own id."""
    from great_expectations.core.id_dict import IDDict
    from satudata.intake import gx_speed

    assert gx_speed.install()
    for kwargs in kwargs_list * 2:
        d = IDDict(kwargs)
        assert d.to_id() == d.to_id(id_keys=list(d))  # id_keys given: GX's own computation, never remembered
    assert IDDict({"a": True, "b": "x"}).to_id() != IDDict({"a": 1, "b": "x"}).to_id()


def test_no_fingerprint_of_the_whole_frame_is_taken():
    """GX hashed every row and column of each batch under 1 GB for a marker nothing of ours reads."""
    from great_expectations.execution_engine import pandas_execution_engine
    from satudata.intake import gx_speed

    assert gx_speed.install()
    assert pandas_execution_engine.HASH_THRESHOLD == 0
