"""Where alerts go: each output is a thin adapter behind the Output port."""
