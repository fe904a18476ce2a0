"""Models: walk-forward CV, base learners, nested Optuna tuning and out-of-fold stacking."""
