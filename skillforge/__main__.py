"""`python -m skillforge`: the same as the `skillforge` command."""

from skillforge.cli.main import main

raise SystemExit(main())
