"""The pure rules: the notice read as code. No web framework, database or Azure SDK here; time comes in as `now`."""
