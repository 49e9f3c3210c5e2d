import sys

from jobs.migration.cli import main

sys.exit(main())
