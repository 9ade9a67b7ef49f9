"""Link two person lists given as files: what `satudata link LEFT RIGHT` does.

    pairs = link_lists(Path("dtks.csv"), Path("penerima_blt.xlsx"))   # left_id, right_id, match_* ...

Each file is read by `files.load_person_list`, prepared by `records.prepare_people` and linked by
`link.link_people` -- the functions the harmonisation DAG runs, with the same trained model; nothing
of the linkage is re-implemented here. The ids of each side get a prefix while linking (`kiri:` /
`kanan:`) so that equal ids on both sides never collide, and lose it again in the output.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from satudata.linkage.files import PersonList, load_person_list
from satudata.linkage.link import (
    DEFAULT_REVIEW_FROM,
    DEFAULT_THRESHOLD,
    LinkOptions,
    LinkResult,
    link_people,
)
from satudata.linkage.model import LinkModel
from satudata.linkage.records import prepare_people

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = ("left_id", "right_id", "match_probability", "match_method", "match_reason")
LEFT_PREFIX, RIGHT_PREFIX = "kiri:", "kanan:"


@dataclass
class ListLinkage:
    """The outcome of linking two files: the one-to-one pairs, the uncertain ones, and how it went."""

    pairs: pd.DataFrame  # OUTPUT_COLUMNS, one-to-one, sorted by left_id
    review: pd.DataFrame  # OUTPUT_COLUMNS, uncertain pairs below the threshold (match_method review_queue)
    left: PersonList
    right: PersonList
    result: LinkResult  # as `link_people` returned it (ids with their prefixes)
    threshold: float
    stats: dict = field(default_factory=dict)


def options_for(threshold: float | None) -> LinkOptions:
    """Link options for a threshold in (0, 1] (None: the DAG's default); review starts at the lower of
    the default review bound and the threshold."""
    threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    return LinkOptions(threshold=threshold, review_from=min(DEFAULT_REVIEW_FROM, threshold))


def _natural_order(ids: pd.Series) -> pd.Series:
    """Sort key: numerically when every id is a number, else as text."""
    numbers = pd.to_numeric(ids, errors="coerce")
    return numbers if numbers.notna().all() else ids


def _output(pairs: pd.DataFrame, left_ids: dict[str, str], right_ids: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame({
        "left_id": pairs["unique_id_l"].map(left_ids).astype("string"),
        "right_id": pairs["unique_id_r"].map(right_ids).astype("string"),
        "match_probability": pairs["match_probability"].astype("float64").round(6),
        "match_method": pairs["match_method"].astype("string"),
        "match_reason": pairs["match_reason"].astype("string"),
    })
    if out.empty:
        return out.reset_index(drop=True)
    order = out.assign(_key=_natural_order(out["left_id"].astype(str)))
    order = order.sort_values(["_key", "left_id", "right_id"], kind="mergesort")
    return order.drop(columns="_key").reset_index(drop=True)[list(OUTPUT_COLUMNS)]


def link_files(left_path: Path | str, right_path: Path | str, *, threshold: float | None = None,
               model: LinkModel | None = None) -> ListLinkage:
    """Read, prepare and link two person lists (raises `files.PersonListError` for unusable files)."""
    options = options_for(threshold)
    started = time.perf_counter()
    left, right = load_person_list(left_path), load_person_list(right_path)
    seconds_read = time.perf_counter() - started
    left_features = prepare_people(left.frame, id_prefix=LEFT_PREFIX, nik_flagged=left.nik_flagged)
    right_features = prepare_people(right.frame, id_prefix=RIGHT_PREFIX, nik_flagged=right.nik_flagged)
    result = link_people(left_features, right_features, options=options, model=model)
    left_ids = dict(zip(left_features["unique_id"], left_features["id"], strict=True))
    right_ids = dict(zip(right_features["unique_id"], right_features["id"], strict=True))
    pairs = _output(result.links, left_ids, right_ids)
    review = _output(result.review, left_ids, right_ids)
    by_method = {str(k): int(v) for k, v in pairs["match_method"].value_counts().sort_index().items()}
    stats = {
        "links": len(pairs), "links_by_method": by_method, "review": len(review),
        "nik_conflicts": len(result.nik_conflicts), "possible_duplicates": len(result.possible_duplicates),
        "left_unlinked": len(left.frame) - len(pairs), "right_unlinked": len(right.frame) - len(pairs),
        "seconds_read": round(seconds_read, 2), "seconds_link": result.stats.get("seconds"),
        "seconds": round(time.perf_counter() - started, 2),
    }
    log.info("linked %s (%d rows) and %s (%d rows): %s", left.path, len(left.frame), right.path,
             len(right.frame), stats)
    return ListLinkage(pairs, review, left, right, result, options.threshold, stats)


def link_lists(left_path: Path | str, right_path: Path | str, *,
               threshold: float | None = None) -> pd.DataFrame:
    """One-to-one pairs of two person lists: `left_id, right_id, match_probability, match_method,
    match_reason`, sorted by left_id."""
    return link_files(left_path, right_path, threshold=threshold).pairs


__all__ = ["OUTPUT_COLUMNS", "ListLinkage", "link_files", "link_lists", "options_for"]
