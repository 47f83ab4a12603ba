"""`python -m skillforge`: the same as the `skillforge` command."""

from skillforge.entry import main

raise SystemExit(main())
