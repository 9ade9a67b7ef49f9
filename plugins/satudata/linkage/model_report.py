"""The shipped model and the models runs fitted, side by side (`satudata link-model show`).

Per comparison level: the match weight log2(m/u) of the shipped model and of each fitted one ("-" where a run
left the comparison out because its lists had no such column), then what each fit did: comparisons left out,
expected true pairs, EM sessions used, fallbacks with their reasons.
"""

from __future__ import annotations

import math

from satudata.linkage.model import LinkModel


def _weights(model: LinkModel) -> dict[tuple[str, str], float | None]:
    out = {}
    for comparison in model.settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            out[(comparison["output_column_name"], level["label_for_charts"])] = (
                math.log2(m / u) if m and u else None)
    return out


def _name(model: LinkModel) -> str:
    run = model.trained_on or {}
    if "kode_kab" in run:
        return f"{run.get('periode')} {run.get('kode_kab')} {run.get('lingkup')}"
    return model.version


def side_by_side(shipped: LinkModel, fitted: list[LinkModel]) -> str:
    columns = [("dasar " + shipped.version, _weights(shipped))] + [(_name(m), _weights(m)) for m in fitted]
    width = max(12, *(len(name) for name, _ in columns))
    lines = [f"model dasar {shipped.version} (dilatih {shipped.trained_at}); bobot = log2(m/u), '-' = tidak dipakai",
             "", f"{'perbandingan / tingkat':<78}" + "".join(f"{name:>{width + 2}}" for name, _ in columns)]
    for comparison in shipped.settings["comparisons"]:
        name = comparison["output_column_name"]
        lines.append(name)
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            label = level["label_for_charts"]
            cells = []
            for _, weights in columns:
                value = weights.get((name, label))
                cells.append(f"{'-' if value is None else f'{value:+.2f}':>{width + 2}}")
            lines.append(f"  {label[:76]:<76}" + "".join(cells))
    for model in fitted:
        fit = model.fit or {}
        lines += ["", f"{_name(model)}: model {model.version}",
                  f"  perbandingan tidak dipakai (kolom kosong): {', '.join(fit.get('perbandingan_tidak_ada') or []) or '-'}",
                  f"  perkiraan pasangan benar: {fit.get('perkiraan_pasangan_benar', '-')}"]
        for session in fit.get("sesi_em") or []:
            used = "dipakai" if session.get("dipakai") else f"tidak dipakai ({session.get('alasan')})"
            lines.append(f"  EM {session.get('aturan')}: {session.get('pasangan'):,} pasangan, "
                         f"perkiraan cocok {session.get('perkiraan_cocok')}, {used}")
        for reason in fit.get("kembali_ke_model_dasar") or []:
            lines.append(f"  kembali ke model dasar: {reason}")
    return "\n".join(lines)


__all__ = ["side_by_side"]
