"""Print the id of the violation `make demo` shows end to end: the cross-region one
(else any) that moved the most records, the kind an auditor would ask about first.

    python scripts/demo_violation.py WORKSPACE
"""

from __future__ import annotations

import sys
from pathlib import Path

from watchkeeper.workspace import Workspace


def main() -> None:
    ws = Workspace.open(Path(sys.argv[1]), create=False)
    found = ws.violations(limit=0)
    if not found:
        sys.exit("no violations stored (run `watchkeeper access detect-violations`)")
    cross = [v for v in found if v.kind == "cross_region"] or list(found)
    print(max(cross, key=lambda v: (v.records, v.id)).id)


if __name__ == "__main__":
    main()
