"""`python -m jobs.check`: the check has no CLI of its own; it runs as `jobs.synth --check`.

Say so and exit 2 (a usage error) rather than exit 0 having checked nothing.
"""

import sys

print("jobs.check has no CLI: run `python -m jobs.synth --stack STACK --check`", file=sys.stderr)
sys.exit(2)
