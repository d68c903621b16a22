from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Hit:
    service_id: str
    name: str
    organization: str
    distance_m: float | None
    tier: int | None  # 1 nearby + covering area, 2 nearby, 3 local/regional area, 4 national; None: no place
    score: float
    area_name: str | None
    summary: str | None = None  # the description's first sentence, for the list of results


@dataclass
class EngineResult:
    hits: list[Hit]
    total: int
    facets: dict = field(default_factory=dict)
