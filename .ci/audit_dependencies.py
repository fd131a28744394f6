"""Audit the locked dependency set (requirements/*.txt) with pip-audit.

Fails on any known vulnerability. Packages the advisory service could not be asked about are
listed, and when none could be asked (a machine that reaches the package index but not its
advisory service) that is said plainly instead of passing in silence.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def main() -> int:
    report = ROOT / "test-artifacts" / "pip-audit.json"
    report.parent.mkdir(exist_ok=True)
    result = subprocess.run(  # noqa: S603 (a fixed command of ours)
        [
            BIN / "pip-audit",
            "--disable-pip",
            "--require-hashes",
            "--progress-spinner=off",
            "--timeout=30",
            "-r",
            ROOT / "requirements" / "dev.txt",
            "--format=json",
            "--output",
            report,
        ],
        capture_output=True,
        text=True,
    )
    try:
        dependencies = json.loads(report.read_text())["dependencies"]
    except (OSError, ValueError, KeyError):
        print(result.stdout + result.stderr)
        print("pip-audit produced no report")
        return 1
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    print(
        f"pip-audit: {len(dependencies)} locked packages, {audited} audited, "
        f"{len(vulnerable)} vulnerable, {len(skipped)} not answered by the advisory service"
    )
    if skipped and not audited:
        print(
            "WARNING: the advisory service answered for no package (this machine reaches the "
            "package index only); the audit could not run here and must run where it can."
        )
    elif skipped:
        print("not audited: " + ", ".join(d["name"] for d in skipped))
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
