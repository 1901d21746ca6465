"""``python -m harness.cli``: the same as the installed ``lsconform`` command."""

import sys

from harness.cli.main import main

sys.exit(main())
