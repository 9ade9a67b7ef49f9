"""The benchmark record: `make bench` writes its figures per stage, `python -m benchmarks.compare` names every
stage slower than the record by more than 25 % at the same scale and exits non-zero then."""

from __future__ import annotations

import json

from benchmarks import compare
from benchmarks.run import stages_of


def _record(stages: list[tuple], **run) -> dict:
    return {"format": compare.FORMAT, "run": {"commit": "abc", "load": {"start": [1.0], "end": [1.0]}, **run},
            "stages": [{"benchmark": b, "scale": sc, "stage": st, "rows": 100, "seconds": sec, "peak_rss_mb": 300}
                       for b, sc, st, sec in stages]}


def _write(tmp_path, name: str, data: dict):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_a_stage_slower_by_more_than_a_quarter_is_named(tmp_path, capsys):
    record = _record([("pipeline", 0.01, "ingest", 10.0), ("pipeline", 0.01, "harmonise: build", 4.0),
                      ("pipeline", 0.1, "ingest", 40.0), ("bench_read", None, "whole run", 30.0)])
    new = _record([("pipeline", 0.01, "ingest", 12.4), ("pipeline", 0.01, "harmonise: build", 5.1),
                   ("pipeline", 0.1, "ingest", 30.0), ("bench_read", None, "whole run", 31.0)])
    code = compare.main([_write(tmp_path, "new.json", new), "--record", _write(tmp_path, "rec.json", record)])
    out = capsys.readouterr().out
    assert code == 1
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("1 stage(s) slower") and "pipeline @ 0.01: harmonise: build" in summary
    assert "ingest" not in summary, "24 % slower is within the threshold; faster is never a regression"


def test_only_the_same_scale_is_compared_and_short_stages_are_not_judged(tmp_path, capsys):
    record = _record([("pipeline", 0.01, "ingest", 10.0), ("pipeline", 0.01, "publish: exports + report", 0.2)])
    new = _record([("pipeline", 0.1, "ingest", 100.0), ("pipeline", 0.01, "publish: exports + report", 0.6),
                   ("pipeline", 0.01, "ingest", 10.0)])
    assert compare.main([_write(tmp_path, "new.json", new), "--record", _write(tmp_path, "rec.json", record)]) == 0
    out = capsys.readouterr().out
    assert "(too short to judge)" in out and "new (not in the record): pipeline @ 0.1: ingest" in out
    # with no floor the short stage counts
    assert compare.main([_write(tmp_path, "new.json", new), "--record", _write(tmp_path, "rec.json", record),
                         "--min-seconds", "0"]) == 1


def test_files_that_cannot_be_compared_exit_2(tmp_path, capsys):
    other = _record([("pipeline", 1.0, "ingest", 10.0)])
    new = _record([("pipeline", 0.01, "ingest", 10.0)])
    assert compare.main([_write(tmp_path, "new.json", new), "--record", _write(tmp_path, "rec.json", other)]) == 2
    (tmp_path / "bad.json").write_text(json.dumps({"stages": []}))
    assert compare.main([_write(tmp_path, "new.json", new), "--record", str(tmp_path / "bad.json")]) == 2


def test_the_pipeline_benchmark_json_becomes_stages(tmp_path):
    """`bench_pipeline --json` (one entry per scale) -> one record entry per stage and scale; another
    benchmark is recorded as its whole run."""
    figures = [{"scale": 0.01, "stages": [{"name": "ingest", "rows_in": 5000, "seconds": 3.2, "peak_rss_mb": 410}]}]
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps(figures))
    entries = stages_of(["-m", "benchmarks.bench_pipeline", "--scales", "0.01"], {}, path)
    assert entries == [{"benchmark": "pipeline", "scale": 0.01, "stage": "ingest", "rows": 5000, "seconds": 3.2,
                        "peak_rss_mb": 410}]
    whole = stages_of(["-m", "benchmarks.bench_konvergensi", "--scale", "0.01"],
                      {"seconds": 61.0, "cpu_seconds": 55.5, "peak_rss_mb": 900}, None)
    assert whole == [{"benchmark": "bench_konvergensi", "scale": 0.01, "stage": "whole run", "rows": None,
                      "seconds": 61.0, "cpu_seconds": 55.5, "peak_rss_mb": 900}]


def test_a_stage_whose_peak_memory_grew_by_more_than_a_quarter_is_named(tmp_path, capsys):
    """Memory is judged beside time: NTB's peak went from 4.1 to 13 GiB once without anyone seeing it. A small
    stage's peak moving by tens of MB is not named."""
    record = _record([("pipeline", 0.01, "ingest", 10.0), ("pipeline", 0.01, "harmonise: build", 4.0)])
    new = _record([("pipeline", 0.01, "ingest", 10.0), ("pipeline", 0.01, "harmonise: build", 4.0)])
    new["stages"][0]["peak_rss_mb"] = 390  # +30 %, but only 90 MB
    new["stages"][1]["peak_rss_mb"] = 500  # +67 %, 200 MB
    code = compare.main([_write(tmp_path, "new.json", new), "--record", _write(tmp_path, "rec.json", record)])
    out = capsys.readouterr().out
    assert code == 1
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("1 stage(s) with a peak memory over the record's")
    assert "harmonise: build (300 MB -> 500 MB)" in summary and "ingest" not in summary
    assert "no stage slower than the record" in out


def test_runs_on_different_machines_are_scaled_by_the_gauge_but_judged_raw(tmp_path, capsys):
    """The record's machine ran the fixed workload in 1 s, the new one in 1.6 s: a stage 1.7 times as long is
    named (raw), and named apart as slower beyond the machine only when its ratio over the gauges' is still
    over 1.25."""
    record = _record([("pipeline", 0.01, "ingest", 10.0), ("pipeline", 0.01, "harmonise: build", 10.0)],
                     machine={"cpu": "Intel Xeon", "gauge_seconds": 1.0})
    new = _record([("pipeline", 0.01, "ingest", 17.0), ("pipeline", 0.01, "harmonise: build", 21.0)],
                  machine={"cpu": "AMD EPYC", "gauge_seconds": 1.6})
    result = compare.compare(record, new)
    assert result["machine"] == 1.6
    assert [r["key"][2] for r in result["slower"]] == ["ingest", "harmonise: build"]
    assert [r["key"][2] for r in result["beyond_machine"]] == ["harmonise: build"]  # 2.1 / 1.6 = 1.31
    assert compare.main([_write(tmp_path, "new.json", new), "--record", _write(tmp_path, "rec.json", record)]) == 1
    out = capsys.readouterr().out
    assert "another CPU (Intel Xeon; now AMD EPYC)" in out and "x1.60 the record's time" in out
    assert "beyond the machine's difference" in out and "harmonise: build (x1.31)" in out
    # a record without a gauge (older files): compared as before, no scaled column
    del record["run"]["machine"]["gauge_seconds"]
    assert compare.compare(record, new)["beyond_machine"] == [] and compare.compare(record, new)["machine"] is None


def test_the_gauge_times_its_fixed_work(monkeypatch):
    from benchmarks import gauge

    monkeypatch.setattr(gauge, "ROUNDS", 1)
    seconds = gauge.measure()
    assert 0 < seconds < 60
