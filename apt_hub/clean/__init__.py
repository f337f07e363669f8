"""Cleaning: the quality checks of single rows, the one duplicate rule, and the checks that need a whole split
(duplicates, test overlap, benchmark decontamination)."""
