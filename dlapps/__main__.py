import sys

from dlapps.cli import main

sys.exit(main())
