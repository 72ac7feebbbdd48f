"""Run the editspec command line: ``python -m editspec``."""

from editspec.cli import main

raise SystemExit(main())
