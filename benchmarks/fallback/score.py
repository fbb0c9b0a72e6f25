"""Score a withheld build against the full build, and the closure checks of one build.

Truth of an outlet-month and pollutant: the CEMS mass (`marts.cems_monthly.total_t`, measured
plus HJ 75 substitution) of the full build; 0 for a month of the withheld window without a row.
Estimate: the sum of `marts.emissions.emissions_t` of the withheld build over the rows of that
outlet (same enterprise and outlet_id, or naming its MN), pollutant and month; none when the
inventory has no such row. Only the marts' public columns are read, so a rewrite of the emission
models keeps this instrument working.

Closure checks read the raw ledgers (as received) next to `marts.emissions`:
- VOC emitted vs VOC bought per enterprise: Σ quantity × VOC content of every activity row;
- SO2 vs 2 × sulfur input per enterprise: Σ quantity × sulfur content (SO2/S = 64/32);
- producing unit-months without an estimate: a ledger unit with activity > 0 in a month (its
  own rows, or its enterprise's rows when the unit never reports its own) and no
  `marts.emissions` row for a pollutant its kind emits (boilers and kilns: PM, SO2, NOx when
  they burn fuel that month or have an outlet of their own, PM only when electric; VOC lines:
  VOC). A gas generator's gas is burnt, and counted, in the furnace it feeds; a dryer on a
  kiln's waste heat sends its gas up the kiln's stack; a dryer heated by another unit's boiler
  has neither fuel nor outlet: none is expected to carry rows of its own.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

# below this a month's CEMS mass is a stopped month: kept in totals, left out of relative errors
MIN_TRUTH_T = 0.001
# HJ 212-2017 codes of the inventory's pollutants, for codes the emissions mart does not name
POLLUTANT_NAMES = {
    "a34013": "pm",
    "a21026": "so2",
    "a21002": "nox",
    "a21001": "nh3",
    "a24088": "voc",
}
# mass units of activity rows as offices write them -> t
MASS_UNITS = {"t": 1.0, "吨": 1.0, "kg": 0.001, "千克": 0.001, "公斤": 0.001}


@dataclass
class MethodScore:
    outlet_months: int = 0
    truth_t: float = 0.0
    estimate_t: float = 0.0

    @property
    def ratio(self) -> float | None:
        return self.estimate_t / self.truth_t if self.truth_t > 0 else None


@dataclass
class PollutantScore:
    pollutant: str
    outlet_months: int  # every withheld outlet-month of the window
    producing: int  # of which the CEMS truth is >= MIN_TRUTH_T
    covered: int  # producing outlet-months with an estimate
    truth_t: float
    estimate_t: float  # missing estimates count as 0
    median_error: float | None  # of |estimate / truth - 1| over producing outlet-months
    p90_error: float | None
    stopped_estimate_t: float  # estimated in outlet-months whose truth is below MIN_TRUTH_T
    methods: dict[str, MethodScore] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.estimate_t / self.truth_t if self.truth_t > 0 else None

    @property
    def coverage(self) -> float | None:
        return self.covered / self.producing if self.producing else None


@dataclass(frozen=True)
class OutletMonth:
    mn: str
    pollutant: str
    month: date
    truth_t: float
    estimate_t: float | None
    methods: str


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1) of `values`; None when empty."""
    if not values:
        return None
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def relative_error(estimate: float | None, truth: float) -> float:
    """|estimate / truth − 1|; a missing estimate is an estimate of 0 (error 1)."""
    return abs((estimate or 0.0) / truth - 1.0)


def summarise(rows: Sequence[OutletMonth]) -> list[PollutantScore]:
    by_pollutant: dict[str, list[OutletMonth]] = defaultdict(list)
    for r in rows:
        by_pollutant[r.pollutant].append(r)
    out = []
    for pollutant, rs in sorted(by_pollutant.items()):
        producing = [r for r in rs if r.truth_t >= MIN_TRUTH_T]
        errors = [relative_error(r.estimate_t, r.truth_t) for r in producing]
        methods: dict[str, MethodScore] = defaultdict(MethodScore)
        for r in producing:
            m = methods[r.methods or "(no estimate)"]
            m.outlet_months += 1
            m.truth_t += r.truth_t
            m.estimate_t += r.estimate_t or 0.0
        out.append(
            PollutantScore(
                pollutant=pollutant,
                outlet_months=len(rs),
                producing=len(producing),
                covered=sum(1 for r in producing if r.estimate_t is not None),
                truth_t=sum(r.truth_t for r in rs),
                estimate_t=sum(r.estimate_t or 0.0 for r in rs),
                median_error=statistics.median(errors) if errors else None,
                p90_error=percentile(errors, 0.9),
                stopped_estimate_t=sum(r.estimate_t or 0.0 for r in rs if r.truth_t < MIN_TRUTH_T),
                methods=dict(sorted(methods.items())),
            )
        )
    return out


class Warehouses:
    """The full and the withheld build, attached read-only to one in-memory DuckDB as `fb`
    and `wb` (either may be absent)."""

    def __init__(self, full: Path, withheld: Path | None = None) -> None:
        self.con = duckdb.connect()
        self.con.execute(f"attach '{_sql_path(full)}' as fb (read_only)")
        if withheld is not None:
            self.con.execute(f"attach '{_sql_path(withheld)}' as wb (read_only)")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()

    # ------------------------------------------------------------------ withheld outlets
    def monitored_mns(self, before: datetime) -> list[str]:
        """MNs with CEMS data in the full build before `before` (the outlets one can withhold)."""
        sql = "select distinct mn from fb.marts.cems_monthly where month_start < ? order by mn"
        return [r[0] for r in self.rows(sql, [before.date()])]

    def outlet_months(self, mns: Sequence[str], before: datetime) -> list[OutletMonth]:
        """Truth and estimate of every withheld outlet-month and pollutant."""
        self.con.execute("create or replace temp table withheld (mn varchar)")
        self.con.executemany("insert into withheld values (?)", [[m] for m in mns])
        sql = f"""
        with window_months as (
            select distinct cast(month_start as date) as month
            from fb.marts.cems_monthly where month_start < ?
        ),
        pairs as (
            select mn, pollutant_code, any_value(enterprise_id) as enterprise_id,
                any_value(outlet_id) as outlet_id
            from fb.marts.cems_monthly where mn in (select mn from withheld)
            group by mn, pollutant_code
        ),
        truth as (
            select p.*, m.month, coalesce(c.total_t, 0) as truth_t
            from pairs as p
            cross join window_months as m
            left join fb.marts.cems_monthly as c
                on c.mn = p.mn and c.pollutant_code = p.pollutant_code
                and cast(c.month_start as date) = m.month
        ),
        names as (
            select pollutant_code, any_value(pollutant) as pollutant
            from fb.marts.emissions group by pollutant_code
        )
        select t.mn, coalesce(n.pollutant, {_code_names("t.pollutant_code")}), t.month, t.truth_t,
            cast(sum(e.emissions_t) as double) as estimate_t,
            coalesce(string_agg(distinct e.method, '+' order by e.method), '') as methods
        from truth as t
        left join names as n on n.pollutant_code = t.pollutant_code
        left join wb.marts.emissions as e
            on e.pollutant_code = t.pollutant_code
            and cast(e.period_month as date) = t.month
            and e.emissions_t is not null
            and (
                (e.enterprise_id = t.enterprise_id and e.outlet_id = t.outlet_id)
                or list_contains(string_split(coalesce(e.mn, ''), ','), t.mn)
            )
        group by all
        order by 2, 1, 3
        """
        return [OutletMonth(*r) for r in self.rows(sql, [before.date()])]

    # ------------------------------------------------------------------ county totals
    def county_totals(self, db: str) -> dict[tuple[str, str], float]:
        """(pollutant, method) -> t in build `db` ('fb' or 'wb'); where the mart says how each
        row is released (stack, fugitive, …), the method is labelled with it."""
        method = "method"
        if self.has_column(db, "emissions", "release_type"):
            method = "method || ' / ' || coalesce(release_type, '?')"
        sql = (
            f"select pollutant, {method}, cast(sum(emissions_t) as double) "
            f"from {db}.marts.emissions group by all"
        )
        return {(p, m): float(t or 0.0) for p, m, t in self.rows(sql)}

    def has_column(self, db: str, table: str, column: str) -> bool:
        sql = (
            "select count(*) from duckdb_columns() where database_name = ? "
            "and schema_name = 'marts' and table_name = ? and column_name = ?"
        )
        return self.rows(sql, [db, table, column])[0][0] > 0

    # ------------------------------------------------------------------ closure checks
    def voc_balance(self, db: str) -> list[tuple[str, str, float, float]]:
        """(enterprise_id, name, VOC emitted t, VOC bought t) per enterprise with either."""
        sql = f"""
        with bought as (
            select enterprise_id,
                sum(quantity * {_mass_factor("unit")} * voc_content_pct / 100) as bought_t
            from {db}.raw.activity where voc_content_pct is not null group by enterprise_id
        ),
        emitted as (
            select enterprise_id, cast(sum(emissions_t) as double) as emitted_t
            from {db}.marts.emissions where pollutant = 'voc' group by enterprise_id
        )
        select coalesce(e.enterprise_id, b.enterprise_id) as eid,
            coalesce(any_value(r.name), ''), coalesce(sum(e.emitted_t), 0),
            coalesce(sum(b.bought_t), 0)
        from emitted as e
        full outer join bought as b on b.enterprise_id = e.enterprise_id
        left join {db}.raw.registry_enterprises as r
            on r.enterprise_id = coalesce(e.enterprise_id, b.enterprise_id)
        group by eid order by eid
        """
        return [(a, b, float(c), float(d)) for a, b, c, d in self.rows(sql)]

    def sulfur_balance(self, db: str) -> list[tuple[str, str, float, float | None]]:
        """(enterprise_id, name, SO2 emitted t, 2 × sulfur input t or None where no fuel row
        gives a sulfur content) per enterprise with SO2 or sulfur."""
        sql = f"""
        with sulfur as (
            select enterprise_id,
                sum(quantity * {_mass_factor("unit")} * sulfur_pct / 100) as s_t
            from {db}.raw.activity where sulfur_pct is not null group by enterprise_id
        ),
        emitted as (
            select enterprise_id, cast(sum(emissions_t) as double) as so2_t
            from {db}.marts.emissions where pollutant = 'so2' group by enterprise_id
        )
        select coalesce(e.enterprise_id, s.enterprise_id) as eid,
            coalesce(any_value(r.name), ''), coalesce(sum(e.so2_t), 0), 2 * sum(s.s_t)
        from emitted as e
        full outer join sulfur as s on s.enterprise_id = e.enterprise_id
        left join {db}.raw.registry_enterprises as r
            on r.enterprise_id = coalesce(e.enterprise_id, s.enterprise_id)
        group by eid order by eid
        """
        return [(a, b, float(c), None if d is None else float(d)) for a, b, c, d in self.rows(sql)]

    def producing_unit_months(self, db: str) -> list[tuple[str, str, str, str, date, bool]]:
        """(pollutant, enterprise_id, unit_id, unit kind, month, has an estimate) of every
        producing unit-month and pollutant the unit's kind emits. A boiler or kiln is expected to
        emit in a month when it burns fuel that month (its own fuel rows, or its enterprise's
        when it reports none of its own) or has an outlet of its own; a dryer heated by another
        unit's boiler, with neither, is not."""
        sql = f"""
        with units as (
            select enterprise_id, trim(unit_id) as unit_id, 'boiler' as kind,
                lower(coalesce(fuel, '')) as fuel, '' as kiln_type
            from {db}.raw.boilers
            where lower(coalesce(status, 'in_use')) not in ('retired', 'standby')
            union all
            select enterprise_id, trim(unit_id), 'kiln', lower(coalesce(fuel, '')),
                lower(coalesce(kiln_type, ''))
            from {db}.raw.kilns
            union all
            select enterprise_id, trim(unit_id), 'voc', '', '' from {db}.raw.voc_sources
        ),
        expected as (
            select u.*, p.pollutant
            from units as u
            cross join (values ('pm'), ('so2'), ('nox'), ('voc')) as p(pollutant)
            where case
                when u.kind = 'voc' then p.pollutant = 'voc'
                when u.kiln_type = 'gas_generator' or u.fuel = 'kiln_waste_heat' then false
                when u.fuel = 'electric' then p.pollutant = 'pm'
                else p.pollutant in ('pm', 'so2', 'nox')
            end
        ),
        activity as (
            select enterprise_id, nullif(trim(unit_id), '') as unit_id,
                cast(period as date) as month, sum(quantity) as q,
                coalesce(sum(quantity) filter (where lower(trim(category)) = 'fuel'), 0) as fuel_q
            from {db}.raw.activity group by all
        ),
        with_outlet as (
            select distinct enterprise_id, trim(unit_id) as unit_id
            from {db}.raw.registry_outlets where nullif(trim(unit_id), '') is not null
        ),
        own as (
            select distinct enterprise_id, unit_id from activity where unit_id is not null
        ),
        active as (
            select x.pollutant, x.enterprise_id, x.unit_id, x.kind, a.month, a.fuel_q > 0 as burns
            from expected as x
            inner join activity as a
                on a.enterprise_id = x.enterprise_id and a.unit_id = x.unit_id
            where a.q > 0
            union
            select x.pollutant, x.enterprise_id, x.unit_id, x.kind, a.month, a.fuel_q > 0
            from expected as x
            inner join activity as a
                on a.enterprise_id = x.enterprise_id and a.unit_id is null
            where a.q > 0
                and not exists (
                    select 1 from own as o
                    where o.enterprise_id = x.enterprise_id and o.unit_id = x.unit_id
                )
        ),
        burning as (
            select enterprise_id, unit_id, month, bool_or(burns) as burns
            from active group by all
        ),
        producing as (
            select a.pollutant, a.enterprise_id, a.unit_id, a.kind, a.month
            from active as a
            inner join burning as b
                on b.enterprise_id = a.enterprise_id and b.unit_id = a.unit_id
                and b.month = a.month
            left join with_outlet as w
                on w.enterprise_id = a.enterprise_id and w.unit_id = a.unit_id
            where a.kind = 'voc' or b.burns or w.unit_id is not null
        )
        select p.*, exists (
            select 1 from {db}.marts.emissions as e
            where e.enterprise_id = p.enterprise_id and e.unit_id = p.unit_id
                and e.pollutant = p.pollutant and cast(e.period_month as date) = p.month
                and e.emissions_t is not null
        ) as estimated
        from producing as p
        order by 1, 2, 3, 5
        """
        return self.rows(sql)


def _code_names(column: str) -> str:
    cases = " ".join(f"when '{k}' then '{v}'" for k, v in POLLUTANT_NAMES.items())
    return f"(case {column} {cases} else {column} end)"


def _mass_factor(column: str) -> str:
    cases = " ".join(f"when '{k}' then {v}" for k, v in MASS_UNITS.items())
    return f"(case lower(trim({column})) {cases} end)"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
