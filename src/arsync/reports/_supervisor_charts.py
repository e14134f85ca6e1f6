"""The supervisor report's PNG charts (matplotlib, drawn off-screen with the Agg backend).

Chinese labels need a CJK font: the system's Noto Sans CJK SC when it is installed (Debian's
``fonts-noto-cjk``), else matplotlib's default (the labels then show as boxes; the figures in
the workbook are unaffected).  Money is drawn in the main currency's major unit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from arsync.reports._supervisor_words import word

if TYPE_CHECKING:
    from arsync.reports.supervisor import SupervisorData

_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "DejaVu Sans"]
_THIS, _PREV, _ACCENT = "#1f5f99", "#a9c4de", "#c0504d"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = _FONTS
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def draw(data: SupervisorData, out_dir: Path) -> dict[str, Path]:
    """``collected.png``, ``aging.png``, ``trend.png`` and ``top.png`` in ``out_dir``; a chart
    with nothing to show is still drawn (with the word "none"), so the page never breaks."""
    plt = _plt()
    out: dict[str, Path] = {}
    for name, fn in (
        ("collected", _collected),
        ("aging", _aging),
        ("trend", _trend),
        ("top", _top),
    ):
        fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=110)
        try:
            fn(data, ax)
            fig.tight_layout()
            p = out_dir / f"{name}.png"
            fig.savefig(p)
            out[name] = p
        finally:
            plt.close(fig)
    return out


def _empty(data: SupervisorData, ax) -> None:
    ax.text(0.5, 0.5, word("none", data.language), ha="center", va="center", color="grey")
    ax.set_axis_off()


def _money_axis(data: SupervisorData, ax, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _p: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    label = data.main_currency
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)


def _collected(data: SupervisorData, ax) -> None:
    lang = data.language
    scopes = data.collectors
    if not scopes:
        _empty(data, ax)
        return
    cur = [data.major(data.value("collected", s)) or 0.0 for s in scopes]
    prev = [data.major(data.value("collected", s, which="previous")) or 0.0 for s in scopes]
    x = range(len(scopes))
    ax.bar([i - 0.2 for i in x], cur, width=0.4, color=_THIS, label=word("this", lang))
    ax.bar([i + 0.2 for i in x], prev, width=0.4, color=_PREV, label=word("previous", lang))
    ax.set_xticks(list(x), scopes, rotation=0 if len(scopes) < 6 else 30)
    ax.set_title(word("collected_chart", lang))
    _money_axis(data, ax)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def _aging(data: SupervisorData, ax) -> None:
    lang = data.language
    vals = [data.major(data.value(f"aging:{b}")) or 0.0 for b in data.aging_labels]
    if not any(vals):
        _empty(data, ax)
        return
    colors = [_THIS] + [_ACCENT] * (len(vals) - 1)
    from arsync.reports.vocabulary import aging

    ax.bar([aging(b, lang) for b in data.aging_labels], vals, color=colors)
    ax.set_title(word("aging_chart", lang))
    _money_axis(data, ax)
    ax.spines[["top", "right"]].set_visible(False)


def _trend(data: SupervisorData, ax) -> None:
    lang = data.language
    t = data.trend
    t = t[(t["scope"] == "") & (t["currency"] == data.main_currency)]
    wide = t.pivot_table(index="as_of", columns="measure", values="value", aggfunc="last")
    shown = [m for m in ("dso", "bpdso", "add") if m in wide.columns]
    if wide.empty or not shown:
        _empty(data, ax)
        return
    from arsync.reports._supervisor_words import measure_name

    for m, c in zip(shown, (_THIS, _PREV, _ACCENT), strict=False):
        ax.plot(wide.index, wide[m], marker="o", color=c, label=measure_name(m, lang))
    ax.set_title(word("trend_chart", lang))
    ax.set_ylabel(word("days", lang))
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if len(wide) <= 12:
        ax.set_xticks(list(wide.index))
    from matplotlib.dates import DateFormatter

    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))


def _top(data: SupervisorData, ax) -> None:
    lang = data.language
    top = data.top
    top = top[top["currency"] == data.main_currency].head(8)
    if top.empty:
        _empty(data, ax)
        return
    labels = [
        (str(n) if n else str(c))[:14] for n, c in zip(top["name"], top["customer"], strict=True)
    ]
    vals = [data.major(float(v)) or 0.0 for v in top["overdue"]]
    ax.barh(labels[::-1], vals[::-1], color=_ACCENT)
    ax.set_title(word("top_chart", lang))
    _money_axis(data, ax, axis="x")
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
