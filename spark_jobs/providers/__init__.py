"""Source-system providers: one module per platform (events, hydration endpoints, normaliser)."""
