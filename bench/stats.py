"""Figures: median and p95 of repeated measurements, and how a result compares with its baseline and target."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1): a value that was actually observed."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Figure:
    """Median and p95 of one series. For times the p95 is the slow end; for rates (higher is better) it is
    the rate that 95% of runs beat, i.e. the slow end too."""

    median: float
    p95: float
    n: int

    @classmethod
    def of(cls, samples: list[float], *, higher_is_better: bool = False) -> Figure:
        return cls(statistics.median(samples), percentile(samples, 0.05 if higher_is_better else 0.95), len(samples))


@dataclass
class Result:
    """One benchmark: the app's figure, its baseline's, and the targets it is held to.

    Ratios are always app / baseline: for times, how many times slower the app is (at most `max_ratio`); for
    rates, what share of the baseline's rate the app reaches (at least `min_ratio`).
    """

    group: str
    name: str
    unit: str
    app: Figure
    baseline: Figure | None = None
    baseline_name: str = ""
    max_p95: float | None = None  # times: the app's p95 must be under this
    min_median: float | None = None  # rates: the app's median must be at least this
    max_ratio: float | None = None
    min_ratio: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    floor: Figure | None = None  # pages: the cheapest page the stack serves, timed alternately with this one

    @property
    def ratio_median(self) -> float | None:
        return self.app.median / self.baseline.median if self.baseline and self.baseline.median else None

    @property
    def ratio_p95(self) -> float | None:
        return self.app.p95 / self.baseline.p95 if self.baseline and self.baseline.p95 else None

    @property
    def floor_ratio_median(self) -> float | None:
        """app / (bare SQL + floor): what the page costs beyond the fixed cost every request pays."""
        if self.baseline is None or self.floor is None:
            return None
        return self.app.median / (self.baseline.median + self.floor.median)

    @property
    def modelview_ratio(self) -> float | None:
        """Pages of the leads list: our median / the plain ModelView's, sent the same question (issue #33)."""
        theirs = self.extra.get("modelview")
        return self.app.median / theirs["median"] if theirs and theirs.get("median") else None

    def misses(self) -> list[str]:
        """What the result misses of its targets, in words (empty: every target met)."""
        return [text for _, text in self.missed()]

    def missed(self) -> list[tuple[str, str]]:
        """(which target, what is missed in words): "" for the result's own targets, "modelview" for twice the
        ModelView's speed, "viewer" for the statements about the viewer. Kept figures from before a target
        existed lack its fields, and are not held to it."""
        missed = [("", text) for text in self._own_misses()]
        ratio, most = self.modelview_ratio, self.extra.get("modelview_max_ratio")
        if ratio is not None and most is not None and ratio > most:
            missed.append(("modelview", f"{ratio:.2f}x the ModelView's median (target at most {most:g}x)"))
        viewer, allowed = self.extra.get("viewer_statements"), self.extra.get("max_viewer_statements")
        if viewer is not None and allowed is not None and viewer > allowed:
            missed.append(("viewer", f"{viewer} statements about the viewer (target at most {allowed})"))
        return missed

    def _own_misses(self) -> list[str]:
        missed = []
        if self.max_p95 is not None and self.app.p95 >= self.max_p95:
            missed.append(f"p95 {self.app.p95:.1f} {self.unit} is not under {self.max_p95:g}")
        if self.min_median is not None and self.app.median < self.min_median:
            missed.append(f"{self.app.median:.0f} {self.unit} is under {self.min_median:g}")
        ratio = self.ratio_median
        floored = self.floor_ratio_median
        if self.max_ratio is not None and floored is not None and floored > self.max_ratio:
            missed.append(f"{floored:.1f}x its bare SQL + the floor (target at most {self.max_ratio:g}x)")
        elif self.max_ratio is not None and floored is None and ratio is not None and ratio > self.max_ratio:
            missed.append(f"{ratio:.1f}x its baseline (target at most {self.max_ratio:g}x)")
        if self.min_ratio is not None and ratio is not None and ratio < self.min_ratio:
            missed.append(f"{ratio:.0%} of its baseline's rate (target at least {self.min_ratio:.0%})")
        if self.extra.get("errors"):
            missed.append(f"{self.extra['errors']} errors (target none)")
        if self.extra.get("peak_mb", 0) >= 300:
            missed.append(f"peak memory {self.extra['peak_mb']:.0f} MB (target under 300)")
        return missed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        data = dict(data)
        app, base, floor = Figure(**data.pop("app")), data.pop("baseline"), data.pop("floor", None)
        return cls(app=app, baseline=Figure(**base) if base else None, floor=Figure(**floor) if floor else None, **data)
