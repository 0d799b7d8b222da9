"""Fill the ``section`` / ``section_en`` of every catalog target from the seed plans.

Usage: ``python scripts/catalog_sections.py [--check] [--seeds DIR]`` (default seeds:
../shared/seeds beside the repository). ``--check`` exits 1 when a catalog differs from what
the seeds give. The headings come from :func:`tanmap.layers.card.plan_sections.section_of`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from tanmap.layers.card.plan_sections import section_of
from tanmap.layers.catalog import CATALOG_DIR

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or check) the catalogs' section fields; return the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report differences")
    ap.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    args = ap.parse_args(argv)
    differences = 0
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        plan = (args.seeds / data["seed_file"]).read_text(encoding="utf-8")
        for target in data["targets"]:
            found = section_of(plan, target["quote"])
            zh, en = (found.zh, found.en) if found else ("", "")
            if (target.get("section", ""), target.get("section_en", "")) != (zh, en):
                differences += 1
                print(f"{target['id']}: {target.get('section')!r} -> {zh!r}")
                target["section"], target["section_en"] = zh, en
        if not args.check:
            header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
            body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False,
                                  default_flow_style=None, width=10000)
            path.write_text(header + body, encoding="utf-8")
    return 1 if args.check and differences else 0


if __name__ == "__main__":
    sys.exit(main())
