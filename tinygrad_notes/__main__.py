"""`python -m tinygrad_notes COMMAND`: the same as the `tinygrad-notes` console script."""

from tinygrad_notes.app.cli import main

if __name__ == "__main__":  # not when a spawned worker process (a Dask worker's) imports this module again
    raise SystemExit(main())
