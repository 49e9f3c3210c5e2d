"""`python -m jobs.restore`: the restore's CLI (jobs/restore/cli.py)."""

from jobs.harness import exit_without_final_collection
from jobs.restore.cli import main

exit_without_final_collection(main())
