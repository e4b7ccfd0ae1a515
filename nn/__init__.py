"""nn: modules, layers, initializers, losses and regularization built from tinygrad_notes ops."""
