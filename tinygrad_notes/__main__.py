"""`python -m tinygrad_notes COMMAND`: the same as the `tinygrad-notes` console script."""

from tinygrad_notes.app.cli import main

raise SystemExit(main())
