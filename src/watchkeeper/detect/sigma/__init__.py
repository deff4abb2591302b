"""Sigma rules: loading (pySigma), pipelines, compilation to Ibis predicates."""
