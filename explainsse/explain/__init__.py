"""SHAP explanations per model family, in one tidy table, with groups and agreement."""

from .explainers import explain, explain_linear, explain_tree, model_output
from .table import COLUMNS, OUTPUT_UNITS, ExplanationTable

__all__ = ["COLUMNS", "OUTPUT_UNITS", "ExplanationTable", "explain", "explain_linear", "explain_tree",
           "model_output"]
