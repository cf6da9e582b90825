"""Pure domain rules and vocabulary: no database, no web framework."""
