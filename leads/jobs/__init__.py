"""Single-runner jobs: locks that die with their holder, and the record of every run (who, when, what, how)."""
