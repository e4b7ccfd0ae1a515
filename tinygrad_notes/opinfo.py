"""Registry entries for the engine's own ops (filled in by the gradient-checker work)."""
