"""Feature engineering: technical indicators, targets, and the leakage-free join of feature tables."""
