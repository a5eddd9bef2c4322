"""Validation of NASICON-style classifiers (detector, classifier wrapper, four protocols)."""

from .classifier import Classifier, make_classifier
from .detector import detect_formula, detect_nasicon, detector_agreement
from .inputs import validation_descriptors
from .nasicon import PROTOCOLS, NasiconValidation, validate_nasicon

__all__ = ["PROTOCOLS", "Classifier", "NasiconValidation", "detect_formula", "detect_nasicon",
           "detector_agreement", "make_classifier", "validate_nasicon", "validation_descriptors"]
