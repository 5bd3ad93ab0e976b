"""TermiKnowledge: a Discord glossary and study bot for supply chain learners."""

__version__ = "0.1.0"
