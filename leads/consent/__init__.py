"""Marketing consent on record, the gate every marketing action passes, lists and their export."""
