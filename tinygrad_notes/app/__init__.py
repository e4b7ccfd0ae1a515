"""The application, the top floor: the command line, the demo and the search job, built on nn, optim and viz."""
