"""SHAP explanations per model family, in one tidy table, with groups and agreement."""

from .explainers import explain, explain_linear, explain_tree, model_output
from .table import COLUMNS, ExplanationTable, output_units

__all__ = ["COLUMNS", "ExplanationTable", "explain", "explain_linear", "explain_tree", "output_units",
           "model_output"]
