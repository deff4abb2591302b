"""Detection: Sigma rules compiled to SQL and Ibis, run fused over lake tables; correlations."""

from watchkeeper.detect.runner import (
    MATCH_SCHEMA,
    connect_table,
    match_schema,
    run_rules,
    run_rules_ibis,
    run_rules_per_rule,
)
from watchkeeper.detect.sigma.compiler import Branch, CompiledRule, compile_rule
from watchkeeper.detect.sigma.correlate import (
    HIT_SCHEMA,
    correlation_fields,
    rule_names,
    run_correlations,
)
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
    "HIT_SCHEMA",
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
    "correlation_fields",
    "generic_pipeline",
    "load_rules",
    "match_schema",
    "rule_names",
    "run_correlations",
    "run_rules",
    "run_rules_ibis",
    "run_rules_per_rule",
    "windows_pipeline",
]
