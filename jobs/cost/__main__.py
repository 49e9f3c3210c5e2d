"""`python -m jobs.cost`: the cost view's own CLI (jobs/cost/cli.py)."""

import sys

from jobs.cost.cli import main

sys.exit(main())
