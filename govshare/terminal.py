"""Console output shared by the CLI and the demo."""

import sys

from rich.console import Console

# Rich assumes 80 columns when output goes to a file or CI log; tables need more.
_WIDTH = None if sys.stdout.isatty() else 140

console = Console(width=_WIDTH)
errors = Console(stderr=True, width=_WIDTH)
