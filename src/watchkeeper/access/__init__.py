"""Access governance: who may touch which user data, and what happened when they did."""
