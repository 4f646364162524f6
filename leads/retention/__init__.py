"""The retention engine: the sweeper, destroyers per record kind, the forecast and legal holds."""
