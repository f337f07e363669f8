"""Reading upstream rows: JSON with line numbers, files row by row, and where the files come from (the Hub, a
mirror, the bundled samples or a local directory)."""
