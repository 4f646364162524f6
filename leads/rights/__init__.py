"""Data-protection rights requests: the register with its deadlines, and carrying each right out."""
