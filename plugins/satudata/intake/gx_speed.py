"""Great Expectations' bookkeeping per validation, cut without changing what it finds.

GX 1.x rebuilds an expectation's whole `configuration` (a pydantic `.dict()` of the expectation and a new
`ExpectationConfiguration`) each time it reads one of its keyword arguments: about sixty times per expectation
and validation, a fifth of a small file's validation. Within one validation the expectations are fresh objects
GX made for it (`ExpectationConfiguration.to_domain_obj`) and nothing changes them, so `one_validation()` keeps
each one's configuration for the validation's length and drops them after. GX copies a configuration before it
changes one (`deepcopy(self.configuration)`), so the kept object is never written to.

`camel_to_snake` (a class name to an expectation type, by two regular expressions, at every configuration) is
a pure function of a few class names: it is remembered. So is the id of a metric's keyword arguments
(`IDDict.to_id`: a JSON dump and an MD5 digest, made for every metric of every expectation) where all of them
are plain scalars, the same for the same names, types and values. And GX's MD5 fingerprint of every batch
under 1 GB (`HASH_THRESHOLD`: a hash of every row and column, a tenth of a large chunk's validation) is not
taken: it would only sit in the stored result's batch markers, and the file's own SHA-256 is in
`meta.submission`. Last, within a validation a column's metrics are given that column alone, taken out once:
GX filtered the whole batch for each of them (a column's empty rows, then its failing rows), a copy of every
column (a fifth of a large chunk's validation) where only the column and the index are read (our result
format names no other columns).

All five are installed once per process (`install()`), only on the GX releases they were checked against: on
another release GX runs as it comes. Tests (tests/intake/test_suites.py, test_gx_speed.py) show the same rows
fail the same rules either way and the remembered ids are GX's own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

CHECKED_RELEASES = ("1.24.",)

_state = threading.local()
_installed = False
_SCALARS = frozenset({str, int, float, bool, type(None)})
_KEPT_IDS = 20_000


def install() -> bool:
    """Put all five in place (once); False when this GX release is not one they were checked against."""
    global _installed
    if _installed:
        return True
    import great_expectations
    from great_expectations.execution_engine import pandas_execution_engine
    from great_expectations.expectations import expectation as module

    if not great_expectations.__version__.startswith(CHECKED_RELEASES):
        return False
    built = module.Expectation.configuration.fget

    def configuration(self):
        kept = getattr(_state, "kept", None)
        return built(self) if kept is None else _kept(kept, id(self), self, lambda: built(self))

    module.Expectation.configuration = property(configuration, doc=module.Expectation.configuration.__doc__)
    module.camel_to_snake = functools.lru_cache(maxsize=512)(module.camel_to_snake)
    _remember_scalar_ids()
    pandas_execution_engine.HASH_THRESHOLD = 0  # no fingerprint of the frame: nothing reads it
    _narrow_column_domains(pandas_execution_engine.PandasExecutionEngine)
    _installed = True
    return True


def _remember_scalar_ids() -> None:
    from great_expectations.core.id_dict import IDDict

    computed = IDDict.to_id
    known: dict[tuple, object] = {}

    def to_id(self, id_keys=None, id_ignore_keys=None):
        if id_keys is not None or id_ignore_keys is not None or not all(
                type(k) is str and type(v) in _SCALARS for k, v in self.items()):
            return computed(self, id_keys, id_ignore_keys)
        # the type beside each value: True and 1 are equal keys, but not the same JSON
        key = (type(self), *sorted((k, type(v), v) for k, v in self.items()))
        found = known.get(key)
        if found is None:
            if len(known) >= _KEPT_IDS:
                known.clear()
            found = known[key] = computed(self)
        return found

    IDDict.to_id = to_id


def _narrow_column_domains(engine) -> None:
    records = engine.get_domain_records

    @functools.wraps(records)
    def get_domain_records(self, domain_kwargs: dict):
        data = records(self, domain_kwargs)
        column = domain_kwargs.get("column")
        kept = getattr(_state, "kept", None)
        # A column's metrics read that column and the index (our result format names no other columns): GX's
        # filters after this copy one column, not every column. Taken out once per column and validation.
        if kept is None or type(column) is not str or data.shape[1] < 2 or column not in data.columns:
            return data
        return _kept(kept, ("column", id(data), column), data, lambda: data[column].to_frame())

    engine.get_domain_records = get_domain_records


def _kept(kept: dict, key, owner, make):
    """What `make()` gives for `owner`, made once in this validation. The owner is held beside it: its id (in
    `key`) is not reused by another object meanwhile."""
    hit = kept.get(key)
    if hit is None or hit[0] is not owner:
        hit = kept[key] = (owner, make())
    return hit[1]


@contextmanager
def one_validation() -> Iterator[None]:
    """Expectations' configurations kept for one validation in this thread (nested: the outer one's)."""
    if getattr(_state, "kept", None) is not None:
        yield
        return
    _state.kept = {}
    try:
        yield
    finally:
        _state.kept = None
