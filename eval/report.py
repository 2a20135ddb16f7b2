"""The eval report: markdown for diffs and reviews, HTML with an inline SVG chart for people."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from eval.harness import BASELINE, COACH, Record
from eval.metrics import METRICS, SPECS, MetricSpec, Value, is_number

COLOURS = {COACH: "#2563eb", BASELINE: "#f59e0b"}
GROUP_TITLES = {
    "retrieval": "Retrieval",
    "facts": "Key facts",
    "citations": "Citations",
    "grounding": "Grounding (answer contract)",
    "refusals": "Refusals",
    "answers": "Answers vs reference",
    "judge": "LLM judge",
    "latency": "Latency",
}
MAX_MISSES = 25
KIND_COLUMNS = (
    ("fact_recall", "Fact recall"),
    ("context_fact_recall", "Context facts"),
    ("retention", "Retention"),
    ("hit_rate", "Hit rate"),
    ("cites_expected_source", "Cites expected"),
    ("refusal_accuracy", "Refusal acc."),
)
HEADLINE = (
    "fact_recall",
    "context_fact_recall",
    "retention",
    "source_recall_at_k",
    "cites_expected_source",
    "citation_validity",
    "answers_answerable",
    "refuses_unanswerable",
    "grounded_rate",
    "unsupported_statement_rate",
    "latency_p50_ms",
)

# Why a metric can favour the baseline by construction; shown when the coach is behind on it.
CONTEXT_RECALL_WHY = (
    "context recall counts the share of *all* chunks of the expected guides that were "
    "retrieved. The coach's {coach_k} chunks are spread across guides (at most {cap} per "
    "guide) from an index of {coach_chunks}; the baseline's {base_k} come from an index of "
    "{base_chunks} and often all from one guide, so it covers more of a single guide. "
    "Source recall@k — was each expected guide found — matches the task: coach {coach_src}, "
    "baseline {base_src}."
)
CONTEXT_PRECISION_WHY = (
    "context precision (IDs) is the share of retrieved chunks that come from an expected "
    "guide. The coach retrieves {coach_k} chunks with at most {cap} from one guide, so on a "
    "single-guide question no more than {cap} of {coach_k} can be on target; all {base_k} of "
    "the baseline's can come from one guide."
)
EXPLANATIONS = {
    "id_context_precision": CONTEXT_PRECISION_WHY,
    "id_context_recall": CONTEXT_RECALL_WHY,
    "nonllm_context_recall": CONTEXT_RECALL_WHY,
}


def fmt(value: Value, spec: MetricSpec | None = None) -> str:
    """A metric value as the report shows it."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if spec is not None and spec.unit == "ms":
        return f"{value:.0f} ms"
    return f"{value:.3f}"


def fmt_delta(a: Value, b: Value, spec: MetricSpec) -> str:
    """``a - b`` with a sign, or an empty cell when either is not a number."""
    if not (is_number(a) and is_number(b)):
        return ""
    assert isinstance(a, int | float) and isinstance(b, int | float)
    delta = a - b
    if abs(delta) < 5e-4 if spec.unit == "ratio" else abs(delta) < 0.5:
        return "±0"
    return f"{delta:+.0f} ms" if spec.unit == "ms" else f"{delta:+.3f}"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def verdict(summary: dict[str, Any]) -> str:
    """One sentence on retrieval and refusals: does the coach beat the baseline?"""
    if BASELINE not in summary["systems"]:
        return "The baseline was not run (--no-baseline): no comparison."
    compared = summary["coach_vs_baseline"]
    behind, tied = compared["behind"], compared["tied"]
    lines = []
    if behind:
        names = ", ".join(f"{SPECS[n].label}" for n in behind)
        lines.append(f"**The coach does NOT beat the baseline on: {names}.**")
    if tied:
        names = ", ".join(SPECS[n].label for n in tied)
        lines.append(f"The coach only ties the baseline on: {names}.")
    if not behind and not tied:
        lines.append("The coach beats the baseline on every retrieval and refusal metric.")
    elif not behind:
        lines.append("It is ahead on every other retrieval and refusal metric.")
    coach, base = summary["systems"][COACH], summary["systems"][BASELINE]
    facts = {
        "coach_k": coach["k"],
        "coach_chunks": coach.get("chunks", "?"),
        "base_k": base["k"],
        "base_chunks": base.get("chunks", "?"),
        "cap": coach.get("config", {}).get("max_per_guide", "?"),
        "coach_src": fmt(coach["metrics"].get("source_recall_at_k")),
        "base_src": fmt(base["metrics"].get("source_recall_at_k")),
    }
    for why in dict.fromkeys(EXPLANATIONS[n] for n in behind if n in EXPLANATIONS):
        names = " and ".join(SPECS[n].label for n in behind if EXPLANATIONS.get(n) == why)
        lines.append(f"\n\nWhy {names}: " + why.format(**facts))
    return " ".join(lines)


def metric_rows(
    summary: dict[str, Any], previous: dict[str, Any] | None
) -> list[tuple[MetricSpec, Value, Value, Value]]:
    """(spec, coach, baseline, committed coach) for every metric."""
    systems = summary["systems"]
    ours = systems[COACH]["metrics"]
    theirs = systems.get(BASELINE, {}).get("metrics", {})
    before = (previous or {}).get("systems", {}).get(COACH, {}).get("metrics", {})
    return [
        (spec, ours.get(spec.name), theirs.get(spec.name), before.get(spec.name))
        for spec in METRICS
    ]


def misses(records: Sequence[Record]) -> list[tuple[Record, str]]:
    """Coach records worth a look: wrong refusals, retrieval misses, invalid citations."""
    found = []
    for r in records:
        if r.system != COACH:
            continue
        s = r.scores
        if s.get("refusal_accuracy") == 0.0:
            found.append((r, "refused" if r.refused else "answered an unanswerable question"))
        elif r.item.answerable and (s.get("source_recall_at_k") or 0.0) < 1.0:
            missing = sorted(set(r.item.sources) - set(r.retrieved_sources))
            found.append((r, f"retrieval missed {', '.join(missing)}"))
        elif s.get("citation_validity") == 0.0:
            found.append((r, "citations do not all map to retrieved chunks"))
        elif r.item.answerable and s.get("cites_expected_source") == 0.0:
            found.append((r, "cites none of the expected guides"))
        elif r.item.key_facts:
            total, in_answer, in_context = r.facts_found()
            if in_context < total:
                found.append((r, f"retrieved chunks hold {in_context} of {total} key facts"))
            elif in_answer < in_context:
                found.append((r, f"answer keeps {in_answer} of the {in_context} key facts"))
    return found


def kind_table(by_kind: dict[str, dict[str, dict[str, Value]]]) -> list[str]:
    """Markdown rows: the key-fact and refusal metrics per kind of question and system."""
    header = " | ".join(label for _, label in KIND_COLUMNS)
    rows = [
        f"| Kind | System | Items | {header} |",
        "|---|---|---:|" + "---:|" * len(KIND_COLUMNS),
    ]
    for kind, row in sorted(by_kind.items()):
        for system, values in row.items():
            cells = " | ".join(fmt(values.get(n)) for n, _ in KIND_COLUMNS)
            rows.append(f"| {kind} | {system} | {values.get('items', '')} | {cells} |")
    return rows


def item_table(records: Sequence[Record]) -> list[str]:
    """Markdown rows: each item's fact recall, refusal and latency, coach and baseline."""
    by_item: dict[str, dict[str, Record]] = {}
    for r in records:
        by_item.setdefault(r.item.id, {})[r.system] = r
    systems = [s for s in (COACH, BASELINE) if any(s in row for row in by_item.values())]
    header = " | ".join(f"{s} facts | {s} refused | {s} ms" for s in systems)
    rows = [f"| Item | Kind | {header} |", "|---|---|" + "---:|---|---:|" * len(systems)]
    for item_id, row in by_item.items():
        cells = []
        for system in systems:
            found = row.get(system)
            if found is None:
                cells.append("— | — | —")
                continue
            total, in_answer, _ = found.facts_found()
            facts = f"{in_answer}/{total}" if total else "—"
            cells.append(f"{facts} | {'yes' if found.refused else 'no'} | {found.latency_ms:.0f}")
        kind = next(iter(row.values())).item.kind
        rows.append(f"| {item_id} | {kind} | {' | '.join(cells)} |")
    return rows


def render_combined(combined: dict[str, Any], previous: dict[str, dict[str, Any] | None]) -> str:
    """The combined report.md: one headline table per corpus, then one per kind."""
    corpora = combined["corpora"]
    out = ["# Career Coach evaluation: every corpus", ""]
    out.append(
        f"Split {combined['split']}, {len(corpora)} corpora, "
        f"{combined['runtime_seconds']:.1f} s in all. Per-corpus reports: `<corpus>/report.md`."
    )
    out.append("")
    for name, summary in corpora.items():
        systems = summary["systems"]
        ours = systems[COACH]["metrics"]
        theirs = systems.get(BASELINE, {}).get("metrics", {})
        before = ((previous.get(name) or {}).get("systems", {}).get(COACH, {})).get("metrics", {})
        golden = summary["golden"]
        out += [
            f"## {name}",
            "",
            f"{golden['items']} items ({golden['answerable']} answerable, "
            f"{golden['key_facts']} key facts), {summary['runtime_seconds']:.1f} s.",
            "",
            "| Metric | Coach | Baseline | Coach − baseline | Committed | Δ vs committed |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for metric in HEADLINE:
            spec = SPECS[metric]
            a, b, c = ours.get(metric), theirs.get(metric), before.get(metric)
            out.append(
                f"| {spec.label} | {fmt(a, spec)} | {fmt(b, spec) if theirs else '—'} "
                f"| {fmt_delta(a, b, spec)} | {fmt(c, spec) if before else '—'} "
                f"| {fmt_delta(a, c, spec)} |"
            )
        out += ["", f"### {name} by kind", "", *kind_table(summary.get("by_kind", {})), ""]
    return "\n".join(out)


def render_markdown(
    summary: dict[str, Any], records: Sequence[Record], previous: dict[str, Any] | None
) -> str:
    """report.md."""
    golden = summary["golden"]
    systems = summary["systems"]
    has_baseline = BASELINE in systems
    title = f"# Career Coach evaluation: {summary['corpus']}" if summary.get("corpus") else None
    out = [title or "# Career Coach evaluation", ""]
    out.append(
        f"Golden set `{golden['path']}`, split {golden.get('split', 'all')}: "
        f"{golden['items']} items ({golden['answerable']} "
        f"answerable, {golden['unanswerable']} to refuse, {golden['multi_turn']} multi-turn). "
        f"Runtime {summary['runtime_seconds']:.1f} s. "
        f"Judge: {summary['judge'] or 'none (LLM metrics not run)'}."
    )
    out.append("")
    coach_k = systems[COACH]["k"]
    out.append(f"- **coach**: {systems[COACH]['description']} (k={coach_k})")
    if has_baseline:
        out.append(
            f"- **baseline**: {systems[BASELINE]['description']} (k={systems[BASELINE]['k']})"
        )
    if previous:
        created = previous.get("created", "?")
        out.append(f"- **committed**: the coach's committed summary ({created})")
        if summary.get("previous_note"):
            out.append(f"  - note: {summary['previous_note']}; read its deltas with care")
    out += ["", "## Verdict", "", verdict(summary), ""]

    out += ["## Metrics", ""]
    header = "| Metric | Coach | Baseline | Coach − baseline | Committed | Δ vs committed |"
    out += [header, "|---|---:|---:|---:|---:|---:|"]
    group = None
    for spec, ours, theirs, before in metric_rows(summary, previous):
        if spec.group != group:
            group = spec.group
            out.append(f"| **{GROUP_TITLES[group]}** | | | | | |")
        out.append(
            f"| {spec.label} | {fmt(ours, spec)} | {fmt(theirs, spec) if has_baseline else '—'} "
            f"| {fmt_delta(ours, theirs, spec)} | {fmt(before, spec) if previous else '—'} "
            f"| {fmt_delta(ours, before, spec)} |"
        )
    out.append("")

    notes = [
        (name, system, note)
        for system, data in systems.items()
        for name, note in data.get("notes", {}).items()
    ]
    not_run = sorted({n for n, _, note in notes if note.startswith("no judge")})
    if not_run:
        labels = ", ".join(SPECS[n].label for n in not_run)
        out += [f"Not run (no judge model configured): {labels}.", ""]
    for name, system, note in notes:
        if not note.startswith("no judge"):
            out.append(f"- **{system} {SPECS[name].label}**: {note}")
    if any(not note.startswith("no judge") for _, _, note in notes):
        out.append("")

    if summary.get("by_kind"):
        out += ["## By kind of question", "", *kind_table(summary["by_kind"]), ""]

    found = misses(records)
    out += ["## Coach items to look at", ""]
    if not found:
        out += ["None: every coach answer retrieved all expected guides and refused correctly.", ""]
    else:
        out += ["| Item | Kind | Question | Problem | Retrieved guides |", "|---|---|---|---|---|"]
        for record, problem in found[:MAX_MISSES]:
            guides = ", ".join(dict.fromkeys(record.retrieved_sources)) or "—"
            out.append(
                f"| {record.item.id} | {record.item.kind} | {_cell(record.item.question)} "
                f"| {_cell(problem)} | {_cell(guides)} |"
            )
        if len(found) > MAX_MISSES:
            out.append(f"\n…and {len(found) - MAX_MISSES} more (see results.jsonl).")
        out.append("")

    out += ["## Items", "", *item_table(records), ""]

    out += ["## Definitions", ""]
    for spec in METRICS:
        if spec.about:
            out.append(f"- **{spec.label}**: {spec.about}.")
    out += [
        "- Retrieval, citation-to-guide and answer metrics cover answerable items; refusal "
        "accuracy covers all; citation validity covers every answer that was not a refusal.",
        "- ragas context metrics take as reference the system's own chunks of the expected "
        "guides (ids for the ID-based metrics, texts for the non-LLM ones).",
        "- Latency is per question, history loading excluded, after the coach's start-up "
        "warm-up. The baseline reuses the coach's extractive generator when the coach runs it.",
        "- Key facts match verbatim after normalisation (lower case, `*` and backticks "
        "removed, dashes as `-`, straight quotes, single spaces). Fact recall and context "
        "fact recall are means over answerable items; retention is a ratio of sums.",
        "- Both systems see the same guides; the coach's index is built fresh for the run.",
        "",
    ]
    return "\n".join(out)


def bar_chart(summary: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """An inline SVG: horizontal bars of every 0-1 metric, coach vs baseline."""
    systems = [s for s in (COACH, BASELINE) if s in summary["systems"]]
    rows = [
        spec
        for spec in METRICS
        if spec.unit == "ratio"
        and any(is_number(summary["systems"][s]["metrics"].get(spec.name)) for s in systems)
    ]
    label_w, bar_w, value_w = 230, 420, 70
    bar_h, gap = 12, 10
    row_h = bar_h * len(systems) + gap
    top = 30
    width = label_w + bar_w + value_w
    height = top + row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Metrics, coach vs baseline" '
        'font-family="system-ui, sans-serif" font-size="12">'
    ]
    for n, system in enumerate(systems):
        x = label_w + n * 110
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[system]}"/>')
        parts.append(f'<text x="{x + 18}" y="16">{system}</text>')
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        tick_x = label_w + tick * bar_w
        parts.append(
            f'<line x1="{tick_x:.1f}" y1="{top - 4}" x2="{tick_x:.1f}" y2="{height - 8}" '
            'stroke="#e5e7eb" stroke-width="1"/>'
        )
    for i, spec in enumerate(rows):
        y = top + i * row_h
        label = html.escape(spec.label)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * len(systems) / 2 + 4:.1f}" '
            f'text-anchor="end">{label}</text>'
        )
        for n, system in enumerate(systems):
            value = summary["systems"][system]["metrics"].get(spec.name)
            by = y + n * bar_h
            if is_number(value):
                assert isinstance(value, int | float)
                w = max(0.0, min(1.0, float(value))) * bar_w
                parts.append(
                    f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h - 2}" '
                    f'fill="{COLOURS[system]}"><title>{system} {label}: {value:.3f}</title></rect>'
                )
                parts.append(
                    f'<text x="{label_w + w + 4:.1f}" y="{by + bar_h - 3}">{value:.3f}</text>'
                )
            else:
                text = html.escape(str(value if value is not None else "n/a"))
                parts.append(
                    f'<text x="{label_w + 4}" y="{by + bar_h - 3}" fill="#6b7280">{text}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2rem auto; padding: 0 1rem;
       color: #111827; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 14px; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; vertical-align: top; }
th { background: #f9fafb; }
td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
code { background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
figure { margin: 1rem 0 2rem; }
"""


def render_html(
    markdown_text: str, summary: dict[str, Any], previous: dict[str, Any] | None
) -> str:
    """report.html: the markdown report rendered (no raw HTML passes), plus the chart."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown_text)
    chart = bar_chart(summary, previous)
    caption = (
        "Metrics on a 0–1 scale (higher is better); LLM-judge metrics appear once a judge ran."
    )
    figure = f"<h2>Chart</h2><figure>{chart}<figcaption>{caption}</figcaption></figure>"
    marker = "<h2>Metrics</h2>"
    body = body.replace(marker, figure + marker, 1) if marker in body else body + figure
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Career Coach evaluation</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
