"""Leads in from Azure Table storage: the adapter, the sync, and tombstones that stop destroyed leads coming back."""
