"""Dependency vulnerability audit for CI: `pip-audit` over the installed environment.

Fails when a known vulnerability is reported. When the vulnerability service cannot be
reached (offline CI, a PyPI mirror without the JSON API), every package comes back
"skipped": that is reported loudly as "audit not performed" instead of a false "clean".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> int:
    try:
        run = subprocess.run([str(BIN / "pip-audit"), "--local", "--format", "json", "--progress-spinner", "off"],
                             capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        print("audit: pip-audit is not installed (pip install -e '.[test]')", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired:
        print("audit: NOT PERFORMED (pip-audit timed out reaching its vulnerability service)", file=sys.stderr)
        return 0
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print("audit: NOT PERFORMED (vulnerability service unreachable)\n" + run.stderr[-500:], file=sys.stderr)
        return 0
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = [d for d in deps if "skip_reason" not in d]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"audit: {dep['name']} {dep['version']} has known vulnerabilities: {ids}")
    if vulnerable:
        return 1
    if not audited:
        print("audit: NOT PERFORMED (the vulnerability service answered for no package; offline?)", file=sys.stderr)
        return 0
    print(f"audit: {len(audited)} packages audited, no known vulnerabilities ({len(deps) - len(audited)} skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
