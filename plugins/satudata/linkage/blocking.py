"""The blocking rules a pass can afford: each rule's new candidate pairs estimated, the unaffordable skipped.

The shipped model's rules are written for every kind of list (registries with NIK and birth dates, programme
lists with only a name, a birth year and an address). Within a regency they generate a few pairs per record.
Across a province the broad ones grow with the square of its size: at NTB scale, the people every regency
left unlinked (1.2 M x 0.5 M) make `nama_depan + tahun_lahir` alone ~58 M pairs, and the province pass took
8 minutes and 12 GB for links that the NIK and birth-date rules find. Within a large regency too: at NTB's full
scale `substr(nik, 1, 8)` made half of Lombok Timur's pairs and none of its links. So every pass has a budget
(`LinkOptions.comparisons_per_record`: 40 by default, the province pass 10): a rule whose new pairs (estimated by Splink's
`count_comparisons_from_blocking_rules` on a sample) exceed that many per record of the two lists is skipped,
the first rule never is, a small pass (under `MIN_BUDGET` pairs) never loses one, and every skip is logged
and kept in the pass's figures (`aturan_blok_dilewati`), never silent.
"""

from __future__ import annotations

import logging
import warnings

log = logging.getLogger(__name__)

MIN_BUDGET = 2_000_000  # pairs: below this a pass is cheap whatever its rules
EXACT_UP_TO = 50_000  # records: below this the counts are exact, above it estimated on a sample
SAMPLE = 0.1  # share of each side's records the estimate joins (Splink scales the count back up)


def affordable_rules(tables: list, rules: list[str], records: int,
                     per_record: float | None) -> tuple[list[str], list[dict]]:
    """(the rules to run, in order; the skipped, each `{"aturan", "perkiraan_perbandingan"}`). `tables`: the two
    lists as registered Splink tables; `records`: their rows together."""
    if per_record is None or len(rules) < 2:
        return list(rules), []
    budget = max(MIN_BUDGET, per_record * records)
    if records * records / 4 <= budget:  # even every pair of the two lists fits
        return list(rules), []
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    with warnings.catch_warnings():
        # Splink warns when a rule's sampled estimate rests on under 1,000 pairs: such a rule is far under any
        # budget here, and the warning would reach an operator's terminal once per narrow rule.
        warnings.filterwarnings("ignore", message="The sampled blocking analysis estimate", category=UserWarning)
        counted = count_comparisons_from_blocking_rules(
            tables, blocking_rules=list(rules), link_type="link_only",
            record_sample_proportion=1.0 if records <= EXACT_UP_TO else SAMPLE)
    kept, skipped = [], []
    for rule, count in zip(rules, counted, strict=True):
        pairs = int(count["marginal_comparison_count"])
        if kept and pairs > budget:
            skipped.append({"aturan": rule, "perkiraan_perbandingan": pairs})
        else:
            kept.append(rule)
    if skipped:
        log.info("blocking: %d of %d rules skipped, each over the budget of %s pairs (%s per record of %s): %s",
                 len(skipped), len(rules), f"{budget:,.0f}", per_record, f"{records:,}",
                 "; ".join(f"{s['aturan']} ~{s['perkiraan_perbandingan']:,}" for s in skipped))
    return kept, skipped


__all__ = ["MIN_BUDGET", "affordable_rules"]
