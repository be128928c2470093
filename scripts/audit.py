"""Known-vulnerability audit of the locked dependencies: `pip-audit` over the lock files.

    .venv/bin/python scripts/audit.py                 # requirements.lock + requirements-test.lock
    .venv/bin/python scripts/audit.py --service osv   # ask OSV (api.osv.dev) instead of PyPI
    .venv/bin/python scripts/audit.py --strict        # also fail when the audit could not run

The lock files pin every package with its hashes, so pip-audit checks exactly what
`scripts/serve.sh`, `scripts/test.sh` and CI install, without installing anything
(`--disable-pip`). Fails when a known vulnerability is reported. When the vulnerability
service cannot be reached (offline CI, a mirror without PyPI's JSON API), every package
comes back "skipped": that is reported loudly as "audit NOT PERFORMED" instead of a false
"clean", and fails only with --strict.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements.lock", "requirements-test.lock")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=("pypi", "osv"), default="pypi", help="vulnerability service to ask")
    parser.add_argument("--strict", action="store_true", help="exit 2 when the audit could not be performed")
    parser.add_argument("locks", nargs="*", default=list(LOCKS), help="lock files (default: both)")
    args = parser.parse_args(argv)
    not_performed = 2 if args.strict else 0

    command = [str(BIN / "pip-audit"), "--disable-pip", "--require-hashes", "--vulnerability-service", args.service,
               "--format", "json", "--progress-spinner", "off"]
    for lock in args.locks:
        command += ["-r", str(ROOT / lock)]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    except FileNotFoundError:
        print("audit: pip-audit is not installed (pip install --require-hashes -r requirements-test.lock)",
              file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired:
        print("audit: NOT PERFORMED (pip-audit timed out reaching its vulnerability service)", file=sys.stderr)
        return not_performed
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print("audit: NOT PERFORMED (vulnerability service unreachable)\n" + run.stderr[-500:], file=sys.stderr)
        return not_performed
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = [d for d in deps if "skip_reason" not in d]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"audit: {dep['name']} {dep['version']} has known vulnerabilities: {ids}")
    if vulnerable:
        return 1
    if not audited:
        print(f"audit: NOT PERFORMED ({args.service} answered for no package of {', '.join(args.locks)}; offline?)",
              file=sys.stderr)
        return not_performed
    print(f"audit: {len(audited)} locked packages audited against {args.service}, no known vulnerabilities "
          f"({len(deps) - len(audited)} skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
