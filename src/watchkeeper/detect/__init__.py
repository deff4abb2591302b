"""Detection: Sigma rules compiled to Ibis predicates and run fused over lake tables."""

from watchkeeper.detect.runner import MATCH_SCHEMA, connect_table, run_rules, run_rules_per_rule
from watchkeeper.detect.sigma.compiler import Branch, CompiledRule, compile_rule
from watchkeeper.detect.sigma.correlation import CorrelationSpec, compile_correlation
from watchkeeper.detect.sigma.loader import Compilation, RuleSet, compile_rules, load_rules
from watchkeeper.detect.sigma.pipeline import (
    GENERIC,
    WINDOWS,
    Pipeline,
    Route,
    generic_pipeline,
    windows_pipeline,
)

__all__ = [
    "GENERIC",
    "MATCH_SCHEMA",
    "WINDOWS",
    "Branch",
    "Compilation",
    "CompiledRule",
    "CorrelationSpec",
    "Pipeline",
    "Route",
    "RuleSet",
    "compile_correlation",
    "compile_rule",
    "compile_rules",
    "connect_table",
    "generic_pipeline",
    "load_rules",
    "run_rules",
    "run_rules_per_rule",
    "windows_pipeline",
]
