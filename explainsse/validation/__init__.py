"""Validation of NASICON-style classifiers (detector, classifier wrapper, four protocols)."""

from .classifier import Classifier, make_classifier
from .datasets import validate_datasets
from .detector import detect_formula, detect_nasicon, detector_agreement
from .inputs import load_test_set, validation_descriptors
from .nasicon import PROTOCOLS, NasiconValidation, validate_nasicon

__all__ = ["PROTOCOLS", "Classifier", "NasiconValidation", "detect_formula", "detect_nasicon",
           "detector_agreement", "load_test_set", "make_classifier", "validate_datasets", "validate_nasicon",
           "validation_descriptors"]
