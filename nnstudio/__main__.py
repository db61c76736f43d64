"""`python -m nnstudio` runs the command line."""

import sys

from nnstudio.cli import main

sys.exit(main())
