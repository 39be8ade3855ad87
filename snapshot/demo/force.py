"""The sales force: DIR -> regional directors (DR) -> supervisors (SUP) -> delegues (DEL),
about one delegue per 150 partenaires, and each partenaire in one delegue's portfolio."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from snapshot.demo.arrays import datetimes, epoch_day, pick, source_table, strings
from snapshot.demo.partenaires import Partenaires
from snapshot.demo.reference import (
    DEL,
    DELEGUES_PER_SUP,
    DIR,
    DR,
    FIRST_DAY,
    FIRST_NAMES,
    LAST_NAMES,
    PARTENAIRES_PER_DELEGUE,
    ROLES,
    SUP,
    ZONES,
)
from snapshot.demo.world import Calendar


@dataclass(frozen=True)
class Force:
    """One entry per user; a user's id is its position + 1 (positions follow date_creation)."""

    role: np.ndarray  # index into ROLES
    responsable: np.ndarray  # position of the manager, -1 at the top
    previous_responsable: np.ndarray  # manager before change_day (== manager when unchanged)
    change_day: np.ndarray
    region: np.ndarray  # region index of a SUP or DEL, -1 above
    created: np.ndarray  # date_creation, seconds since the epoch
    first_day: np.ndarray  # first calendar day the user can visit
    last_day: np.ndarray  # last one (earlier for reps who left the company)
    activity: np.ndarray  # relative visits per working day; 0 for those who never visit
    skill: np.ndarray  # evaluation level in [0, 1]
    last_name: np.ndarray
    first_name: np.ndarray

    @property
    def n(self) -> int:
        return len(self.role)

    def responsable_on(self, utilisateur: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The manager each user had on that day (reps sometimes change supervisor)."""
        before = day < self.change_day[utilisateur]
        return np.where(
            before, self.previous_responsable[utilisateur], self.responsable[utilisateur]
        )

    def reordered(self, order: np.ndarray) -> Force:
        """The same force with positions permuted (manager pointers follow)."""
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))

        def follow(pointer: np.ndarray) -> np.ndarray:
            return np.where(pointer >= 0, rank[np.maximum(pointer, 0)], -1)

        moved = {name: getattr(self, name)[order] for name in self.__dataclass_fields__}
        moved["responsable"] = follow(moved["responsable"])
        moved["previous_responsable"] = follow(moved["previous_responsable"])
        return Force(**moved)


def _delegues_per_region(partenaires_per_region: np.ndarray) -> np.ndarray:
    """About one rep per 150 partners, shared by largest remainder; never more reps than
    partners in a region, so every portfolio holds at least one partner."""
    total = int(partenaires_per_region.sum())
    n_delegues = max(3, round(total / PARTENAIRES_PER_DELEGUE))
    quota = n_delegues * partenaires_per_region / total
    delegues = np.floor(quota).astype(np.int64)
    by_remainder = np.argsort(-(quota - delegues), kind="stable")
    by_remainder = by_remainder[partenaires_per_region[by_remainder] > 0]
    delegues[by_remainder[: n_delegues - delegues.sum()]] += 1
    return np.minimum(delegues, partenaires_per_region)


def _hierarchy(
    rng: np.random.Generator, delegues: np.ndarray, cal: Calendar
) -> dict[str, np.ndarray]:
    """Role, manager and region of each user, top first: one DIR, one DR per zone, then per
    region its SUPs (one per 7 reps) and its reps. A few reps changed supervisor lately."""
    role, responsable, region = [np.array([DIR])], [np.array([-1])], [np.array([-1])]
    role.append(np.full(len(ZONES), DR))
    responsable.append(np.zeros(len(ZONES), dtype=np.int64))
    region.append(np.full(len(ZONES), -1))
    previous: list[np.ndarray] = [np.array([-1]), np.full(len(ZONES), -1)]
    size = 1 + len(ZONES)
    for r, k in enumerate(delegues):
        if k == 0:
            continue
        s = -(-k // DELEGUES_PER_SUP)
        zone = next(z for z, members in enumerate(ZONES) if r in members)
        sups = size + np.arange(s)
        current = sups[np.arange(k) % s]
        changed = (rng.random(k) < 0.06) & (s > 1)
        role += [np.full(s, SUP), np.full(k, DEL)]
        responsable += [np.full(s, 1 + zone), current]
        previous += [np.full(s, 1 + zone), np.where(changed, sups[(np.arange(k) + 1) % s], current)]
        region += [np.full(s, r), np.full(k, r)]
        size += s + k
    previous_responsable = np.concatenate(previous)
    responsable_now = np.concatenate(responsable)
    change_day = np.where(
        previous_responsable != responsable_now, rng.integers(60, cal.days - 60, size), 0
    )
    return {
        "role": np.concatenate(role),
        "responsable": responsable_now,
        "previous_responsable": previous_responsable,
        "change_day": change_day,
        "region": np.concatenate(region),
    }


def _creation(rng: np.random.Generator, role: np.ndarray, cal: Calendar) -> np.ndarray:
    """date_creation (epoch seconds, office hours): managers for years; most reps before the
    period, a third hired during it, a few just hired (no visit yet)."""
    n = len(role)
    origin = np.datetime64("2015-01-05").astype(np.int64)
    before = int(FIRST_DAY.astype(np.int64) - origin)
    cohort = pick(rng, n, [0.62, 0.36, 0.02])
    cohort[np.flatnonzero(role == DEL)[:1]] = 0  # at least one rep active from day one
    delegue_day = np.select(
        [cohort == 0, cohort == 1],
        [origin + rng.integers(365, before, n), epoch_day(rng.integers(0, cal.days - 45, n))],
        epoch_day(rng.integers(cal.days - 12, cal.days, n)),
    )
    day = np.select(
        [role == DIR, role == DR, role == SUP],
        [
            origin + rng.integers(0, 60, n),
            origin + rng.integers(30, 1200, n),
            origin + rng.integers(200, before, n),
        ],
        delegue_day,
    )
    return day * 86400 + rng.integers(8 * 3600 + 1800, 17 * 3600 + 1800, n)


def sales_force(
    rng: np.random.Generator, cal: Calendar, partenaires_per_region: np.ndarray
) -> Force:
    tree = _hierarchy(rng, _delegues_per_region(partenaires_per_region), cal)
    role = tree["role"]
    n = len(role)
    created = _creation(rng, role, cal)
    created_day = created // 86400 - FIRST_DAY.astype(np.int64)
    first_day = np.clip(created_day + 7, 0, cal.days - 1)
    fresh = created_day >= cal.days - 15
    last_day = np.full(n, cal.days - 1)
    # A few reps left the company: they stay in tab_utilisateur but stop visiting.
    can_leave = (role == DEL) & (first_day + 90 < cal.days - 30)
    leaves = can_leave & (rng.random(n) < 0.06)
    leave_day = rng.integers(np.minimum(first_day + 90, cal.days - 31), cal.days - 30)
    last_day = np.where(leaves, leave_day, last_day)
    activity = np.where((role == DEL) & ~fresh, rng.lognormal(0.0, 0.3, n), 0.0)
    force = Force(
        **tree,
        created=created,
        first_day=first_day,
        last_day=last_day,
        activity=activity,
        skill=np.clip(rng.beta(6, 3, n), 0.35, 0.95),
        last_name=rng.integers(0, len(LAST_NAMES), n),
        first_name=rng.integers(0, len(FIRST_NAMES), n),
    )
    return force.reordered(np.argsort(created, kind="stable"))


def utilisateur_table(force: Force) -> pa.Table:
    return source_table(
        "tab_utilisateur",
        {
            "id_utilisateur": pa.array(np.arange(1, force.n + 1, dtype=np.int32)),
            "id_responsable": pa.array(
                (force.responsable + 1).astype(np.int32), mask=force.responsable < 0
            ),
            "nom_utilisateur": strings(LAST_NAMES, force.last_name),
            "prenom_utilisateur": strings(FIRST_NAMES, force.first_name),
            "role": strings(ROLES, force.role),
            "date_creation": datetimes(force.created),
        },
    )


def assign_portfolios(rng: np.random.Generator, p: Partenaires, force: Force) -> np.ndarray:
    """Each partner belongs to one rep of its region (of its zone, when the region has none),
    dealt round-robin so that portfolios are even."""
    delegues = np.flatnonzero(force.role == DEL)
    owner = np.empty(p.n, dtype=np.int64)
    for r, zone in ((r, z) for z, members in enumerate(ZONES) for r in members):
        members = rng.permutation(np.flatnonzero(p.region == r))
        local = delegues[force.region[delegues] == r]
        if len(local) == 0:
            local = delegues[np.isin(force.region[delegues], ZONES[zone])]
        if len(local) == 0:
            local = delegues
        owner[members] = local[np.arange(len(members)) % len(local)]
    return owner
