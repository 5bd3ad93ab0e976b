"""The glossary as a static web site: page model, URL scheme and builder."""
