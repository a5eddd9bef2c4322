"""Typed sections of a :class:`~explainsse.analysis.Study`: its configuration, data card and provenance.

Each is a frozen dataclass; ``to_dict()`` / ``from_dict()`` convert at the JSON edge only
(``study.json``, ``report.json``), so code reads attributes, never string keys.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


def _known(cls, payload: dict) -> dict:
    """The entries of ``payload`` that are fields of ``cls`` (older files may carry more or fewer)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in payload.items() if k in names}


@dataclass(frozen=True)
class StudyConfig:
    """What a study was asked to do.

    Attributes
    ----------
    dataset : str
    preset : str
        Descriptor preset.
    preset_reason : str
        Why this preset ("chosen by the user", or what the data supports).
    families, tasks : list of str
    scheme : str
        Validation scheme (:data:`explainsse.models.SCHEMES`).
    threshold_S_cm : float
        Superionic threshold.
    seed, n_scramble, n_boot, top : int
    regression_family : str or None
        The family whose regression model explains the materials.
    side_schemes : list of str
        CV schemes run beside ``scheme`` on the training rows with the hyperparameters it chose
        (:data:`explainsse._config.SIDE_SCHEMES`), for the side-by-side table.
    """

    dataset: str
    preset: str
    preset_reason: str
    families: list
    tasks: list
    scheme: str
    threshold_S_cm: float
    seed: int
    n_scramble: int
    n_boot: int
    top: int
    regression_family: str | None = None
    side_schemes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, payload: dict) -> StudyConfig:
        """From :meth:`to_dict`'s form."""
        return cls(**_known(cls, payload))


@dataclass(frozen=True)
class CensoredRows:
    """The rows whose conductivity is a text upper bound (``<1E-10``).

    Attributes
    ----------
    n : int
    floor_S_cm : float
        Value given to them for modelling.
    bounds : dict
        Bound (as text) -> rows.
    in_test : int
        Of them in the official test split.
    """

    n: int
    floor_S_cm: float
    bounds: dict = field(default_factory=dict)
    in_test: int = 0


@dataclass(frozen=True)
class DataCard:
    """What data a study used, where it came from, and what was left out (with the reasons).

    Attributes
    ----------
    summary : dict
        Row counts (:meth:`explainsse.datasets.Dataset.summary`).
    source, license, citation : str
    files : dict
        File name -> sha256.
    issues : list of dict
        Excluded rows: ``row, id, column, value, reason``.
    notes : list of str
    censored : CensoredRows
    skipped_sections : dict
        Report section -> why the data could not support it.
    """

    summary: dict
    source: str
    license: str
    citation: str
    files: dict
    issues: list
    notes: list
    censored: CensoredRows
    skipped_sections: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, payload: dict) -> DataCard:
        """From :meth:`to_dict`'s form."""
        values = _known(cls, payload)
        values["censored"] = CensoredRows(**_known(CensoredRows, payload.get("censored") or {"n": 0, "floor_S_cm": 0.0}))
        return cls(**values)


@dataclass(frozen=True)
class Provenance:
    """When and with what a study ran.

    Attributes
    ----------
    versions : dict
        Package -> version.
    started, finished : str
        ISO times (UTC).
    seconds : float
    """

    versions: dict
    started: str
    finished: str
    seconds: float

    def to_dict(self) -> dict:
        """JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, payload: dict) -> Provenance:
        """From :meth:`to_dict`'s form."""
        return cls(**{"versions": {}, "started": "", "finished": "", "seconds": float("nan"),
                      **_known(cls, payload)})


__all__ = ["CensoredRows", "DataCard", "Provenance", "StudyConfig"]
