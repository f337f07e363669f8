"""`python -m apt_hub.cli`: the `apt-hub` command line, as the installed script runs it."""

import sys

from . import main

if __name__ == "__main__":  # not when the doctests walk the package
    sys.exit(main())
