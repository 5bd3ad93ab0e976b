"""Domain logic with no Discord imports: glossary, matching, scheduling, study."""
