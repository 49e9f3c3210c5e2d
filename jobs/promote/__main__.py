"""`python -m jobs.promote`: the promotion's CLI (jobs/promote/cli.py)."""

import sys

from jobs.promote.cli import main

sys.exit(main())
