"""What the CLI shows in a terminal: progress, tables, the demo and classify I/O."""
