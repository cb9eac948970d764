"""`python -m pipelines.cli` is the `clusterwatch` command."""
import sys

from pipelines.cli.main import main

sys.exit(main())
