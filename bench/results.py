"""Render the latest JSON figures (var/bench/*.json) as the Markdown tables of RESULTS.md.

python -m bench.results > figures.md
"""

from __future__ import annotations

import json
import sys

from bench.harness import RESULTS_DIR

ORDER = (
    "filing-a-case-over-http",
    "command-centre-queue-and-case-detail",
    "map--component-tiles-and-the-case-map",
    "reports-over-two-years-of-facts",
    "timer-sweep",
    "component-import",
    "filing-scale-out--gunicorn-workers",
    "case-automation-scale-out--celery-processes",
    "memory-over-a-long-filing-run",
)
SKIP_NOTES = {"samples"}


def _row(name: str, figures: dict, ratio: object = "") -> str:
    return (
        f"| {name} | {figures['n']} | {figures['errors']} | {figures['per_s']} | "
        f"{figures['p50_ms']} | {figures['p95_ms']} | {figures['p99_ms']} | {ratio} |"
    )


def render(out: object = sys.stdout) -> None:
    found = {path.stem: json.loads(path.read_text()) for path in RESULTS_DIR.glob("*.json")}
    machine = None
    for key in (*ORDER, *sorted(set(found) - set(ORDER))):
        result = found.get(key)
        if result is None:
            continue
        machine = machine or result.get("machine")
        print(f"### {result['title']}\n", file=out)
        print(f"Run at {result.get('at', '?')} (load {result['machine'].get('load_1m')}).\n",
              file=out)  # fmt: skip
        print("| | n | errors | per s | p50 ms | p95 ms | p99 ms | × floor (p50) |", file=out)
        print("|---|---:|---:|---:|---:|---:|---:|---:|", file=out)
        for row in result["rows"]:
            platform = row["platform"]
            print(_row(platform["name"], platform, row.get("p50_ratio", "")), file=out)
            if row.get("floor"):
                print(_row("↳ floor", row["floor"]), file=out)
        notes = {k: v for k, v in result.get("notes", {}).items() if k not in SKIP_NOTES}
        if notes:
            print("", file=out)
            for name, value in notes.items():
                print(f"- {name}: {value}", file=out)
        print("", file=out)
    if machine:
        print("### Machine\n", file=out)
        for name, value in machine.items():
            print(f"- {name}: {value}", file=out)


if __name__ == "__main__":
    render()
