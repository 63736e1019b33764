import sys

from katakit.cli import main

sys.exit(main())
