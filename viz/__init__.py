"""viz: graphviz pictures of computation graphs, and training plots."""
