"""Descriptors: presets, the `DescriptorFeaturizer` transformer, glossary and cache."""

from .descriptor_info import DescriptorInfo
from .descriptors import describe, feature_names, glossary, make_featurizers
from .electrolyte import ANION_CHARGES, ElectrolyteComposition
from .presets import DEFAULT_PRESET, PRESETS, Preset, get_preset
from .transformer import DescriptorFeaturizer, Featurized, dataset_descriptors, featurize_dataset

__all__ = [
    "ANION_CHARGES",
    "DEFAULT_PRESET",
    "PRESETS",
    "DescriptorFeaturizer",
    "DescriptorInfo",
    "Featurized",
    "ElectrolyteComposition",
    "Preset",
    "dataset_descriptors",
    "describe",
    "feature_names",
    "featurize_dataset",
    "get_preset",
    "glossary",
    "make_featurizers",
]
