"""The analysis layer: the one place where descriptors, models and explanations are joined.

:func:`run_study` validates and explains every family on a dataset and returns a frozen
:class:`Study`; reports, ``explainsse importance`` and the prediction report are views of these
results. ``Study.save`` / :func:`load_study` store a study as Parquet + JSON (+ the models'
safe formats), so it can be re-rendered or compared without refitting.
"""

from .importance import ImportanceResult, explain_families
from .run import TASKS, run_study
from .steps import (
    CandidateExplanation,
    Descriptors,
    FamilyExplanation,
    RegressionExplanation,
    candidate_descriptors,
    descriptors_for,
    explain_candidates,
    explain_model,
    explain_regression,
    native_view,
)
from .study import Study, StudyFileError, load_study

__all__ = [
    "TASKS",
    "CandidateExplanation",
    "Descriptors",
    "FamilyExplanation",
    "ImportanceResult",
    "RegressionExplanation",
    "Study",
    "StudyFileError",
    "candidate_descriptors",
    "descriptors_for",
    "explain_candidates",
    "explain_families",
    "explain_model",
    "explain_regression",
    "load_study",
    "native_view",
    "run_study",
]
