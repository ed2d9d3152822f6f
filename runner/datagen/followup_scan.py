"""Every observation inside a trigger's circle within 192 hours after it, found as cells run.

A GBM circle is degrees wide: background pointings of any observatory fall
in it by chance, so a trigger's follow-ups cannot all be planted. They are
found instead, exactly as ``burst_followup_sequences`` defines them
(``start_time`` in [trigger, trigger + window], separation at most
sqrt(err^2 + 1) arcsec), for every trigger of every trigger table against
every observation of every observations table: each cell's observations are
looked up in the time-sorted triggers (a few candidates each), so memory is
the triggers and the pairs found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from runner.datagen.sphere import separation_deg

WINDOW_HOURS = 192.0
WINDOW_US = int(WINDOW_HOURS * 3_600_000_000)


@dataclass
class TriggerRef:
    observatory: str
    trigger_id: int
    name: str
    time_us: int
    ra: float
    dec: float
    err: float
    significance: float
    tag: tuple | None  # what triggered it, as generic_rows.Tag
    counterpart: dict


@dataclass
class FollowupScan:
    triggers: list[TriggerRef]
    found: list[list[dict]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.triggers.sort(key=lambda t: (t.time_us, t.observatory, t.trigger_id))
        self.time = np.array([t.time_us for t in self.triggers], dtype=np.int64)
        self.ra = np.array([t.ra for t in self.triggers], dtype=float)
        self.dec = np.array([t.dec for t in self.triggers], dtype=float)
        self.radius = np.sqrt(np.array([t.err for t in self.triggers], dtype=float) ** 2 + 1)
        self.found = [[] for _ in self.triggers]

    def scan(
        self,
        observatory: str,
        ids: np.ndarray,
        start_us: np.ndarray,  # NULL_INT where not started
        ra: np.ndarray,
        dec: np.ndarray,
        tags: list[tuple | None],
    ) -> None:
        ok = np.flatnonzero(start_us > np.iinfo(np.int64).min)
        if not ok.size or not len(self.time):
            return
        start = start_us[ok]
        lo = np.searchsorted(self.time, start - WINDOW_US, side="left")
        hi = np.searchsorted(self.time, start, side="right")
        count = hi - lo
        obs = np.repeat(np.arange(len(ok)), count)
        offset = np.arange(len(obs)) - np.repeat(np.cumsum(count) - count, count)
        trig = lo[obs] + offset
        sep = separation_deg(self.ra[trig], self.dec[trig], ra[ok][obs], dec[ok][obs]) * 3600
        inside = sep <= self.radius[trig]
        for o, t, s in zip(
            obs[inside].tolist(), trig[inside].tolist(), sep[inside].tolist(), strict=True
        ):
            row = int(ok[o])
            ref = self.triggers[t]
            tag = tags[row]
            self.found[t].append(
                {
                    "observatory": observatory,
                    "observation_id": str(ids[row]),
                    "start_time": _iso(int(start_us[row])),
                    "delay_hours": (int(start_us[row]) - ref.time_us) / 3_600_000_000,
                    "separation_arcsec": s,
                    "planted": tag is not None and tag == ref.tag,
                }
            )

    def answers(self) -> list[dict]:
        out = []
        for ref, followups in zip(self.triggers, self.found, strict=True):
            out.append(
                {
                    "observatory": ref.observatory,
                    "trigger_id": ref.trigger_id,
                    "trigger_name": ref.name,
                    "trigger_time": _iso(ref.time_us),
                    "ra": ref.ra,
                    "dec": ref.dec,
                    "err_radius_arcsec": ref.err,
                    "match_radius_arcsec": float(np.sqrt(ref.err**2 + 1)),
                    "significance": ref.significance,
                    "counterpart": ref.counterpart,
                    "followups": sorted(
                        followups,
                        key=lambda f: (f["start_time"], f["observatory"], f["observation_id"]),
                    ),
                }
            )
        return out


def _iso(us: int) -> str:
    return str(np.datetime64(int(us), "us"))
