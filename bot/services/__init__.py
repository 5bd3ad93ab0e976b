"""Use cases, free of Discord: each takes repositories, a clock and an rng, and returns plain outcomes."""
