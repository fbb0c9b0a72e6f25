"""Typing ledger values: text cells -> typed polars columns, with a reason for every reject.

Every cell arrives as text (CSV field, or an xlsx cell rendered by `xlsx.cell_text`). A cell is
empty when blank after stripping (full-width spaces included); for non-text types the usual
ledger placeholders for "not applicable" (/, -, —, N/A, null) count as empty too. Empty
optional -> null; empty required -> `missing_value:<col>`; a value that does not parse ->
`bad_value:<col>='<value>'`. Non-text values are NFKC-normalised first, so full-width digits
and letters (１２.５, Ｙ) parse like their ASCII forms.

Accepted forms per contract type:
- int: 12, -3, 1,200, 12.0 (Excel renders integers as floats)
- float: 12.5, .5, 1e3, 1,200.5 (not inf/nan)
- bool: 是/否, Y/N, yes/no, true/false, 1/0, 有/无, 对/错 (case-insensitive)
- date: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (1- or 2-digit month/day), YYYY年M月D日,
  YYYYMMDD, a midnight time suffix, Excel serial days (5 digits)
- datetime: date as above + ' ' or 'T' + H:MM[:SS[.ffffff]], YYYY年M月D日 H:MM[:SS],
  Excel serial with fraction
- month: YYYY-MM, YYYY/MM, YYYY年M月, YYYYMM, or the first day of the month as a date
  (what Excel stores for a month typed into a cell); stored as the DATE of the first day
"""

from __future__ import annotations

import polars as pl

from dagster_project.feeds.contracts import Column

TRUE_WORDS = ("是", "y", "yes", "true", "t", "1", "有", "对", "√")
FALSE_WORDS = ("否", "n", "no", "false", "f", "0", "无", "错", "×")
PLACEHOLDERS = ("/", "-", "--", "—", "——", "n/a", "na", "null", "none", "nan", "#n/a")

POLARS_TYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
    "month": pl.Date(),
}

_MIDNIGHT = r"(?:[ T]0?0:00(?::00(?:\.0+)?)?)?"
_DATE_PATTERNS = (
    rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_MIDNIGHT}$",
    rf"^(\d{{4}})年(\d{{1,2}})月(\d{{1,2}})日{_MIDNIGHT}$",
    r"^(\d{4})(\d{2})(\d{2})$",
)
_DATETIME_PATTERNS = (
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?$",
    r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?$",
)
_MONTH_PATTERNS = (
    r"^(\d{4})[-/.](\d{1,2})$",
    r"^(\d{4})年(\d{1,2})月$",
    r"^(\d{4})(\d{2})$",
    rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.]0?1{_MIDNIGHT}$",
    rf"^(\d{{4}})年(\d{{1,2}})月0?1日{_MIDNIGHT}$",
)
_EXCEL_EPOCH_DATE = pl.date(1899, 12, 30)  # Excel's 1900 system, past its 1900-02-29 bug
_EXCEL_DAY_SERIAL = r"^(\d{5})(?:\.0+)?$"
_EXCEL_DATETIME_SERIAL = r"^(\d{5}(?:\.\d+)?)$"
_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$"
_FLOAT = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def cleaned(expr: pl.Expr) -> pl.Expr:
    """Strip whitespace (full-width too); blank -> null."""
    s = expr.str.strip_chars()
    return pl.when(s.str.len_chars() == 0).then(None).otherwise(s)


def _normalised(expr: pl.Expr) -> pl.Expr:
    s = expr.str.normalize("NFKC").str.strip_chars()
    return pl.when(s.str.to_lowercase().is_in(PLACEHOLDERS)).then(None).otherwise(s)


def _first_match(expr: pl.Expr, patterns: tuple[str, ...], groups: int) -> list[pl.Expr]:
    """For each capture group 1..groups, the value from the first pattern that matches."""
    return [pl.coalesce([expr.str.extract(p, g) for p in patterns]) for g in range(1, groups + 1)]


def _ymd(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    text = pl.concat_str([y, m.str.zfill(2), d.str.zfill(2)], separator="-")
    return text.str.to_date("%Y-%m-%d", strict=False)


def _parse_int(s: pl.Expr) -> pl.Expr:
    s = pl.when(s.str.contains(_THOUSANDS)).then(s.str.replace_all(",", "")).otherwise(s)
    return s.str.extract(r"^([+-]?\d+)(?:\.0*)?$", 1).cast(pl.Int64, strict=False)


def _parse_float(s: pl.Expr) -> pl.Expr:
    s = pl.when(s.str.contains(_THOUSANDS)).then(s.str.replace_all(",", "")).otherwise(s)
    f = pl.when(s.str.contains(_FLOAT)).then(s).otherwise(None).cast(pl.Float64, strict=False)
    return pl.when(f.is_finite()).then(f).otherwise(None)


def _parse_bool(s: pl.Expr) -> pl.Expr:
    mapping = {w: True for w in TRUE_WORDS} | {w: False for w in FALSE_WORDS}
    return s.str.to_lowercase().replace_strict(mapping, default=None, return_dtype=pl.Boolean)


def _parse_date(s: pl.Expr) -> pl.Expr:
    y, m, d = _first_match(s, _DATE_PATTERNS, 3)
    serial = s.str.extract(_EXCEL_DAY_SERIAL, 1).cast(pl.Int64, strict=False)
    from_serial = _EXCEL_EPOCH_DATE + pl.duration(days=serial)
    return pl.coalesce([_ymd(y, m, d), from_serial])


def _parse_datetime(s: pl.Expr) -> pl.Expr:
    y, mo, d, h, mi, sec, frac = _first_match(s, _DATETIME_PATTERNS, 7)
    text = pl.concat_str(
        [
            pl.concat_str([y, mo.str.zfill(2), d.str.zfill(2)], separator="-"),
            pl.lit(" "),
            pl.concat_str(
                [h.str.zfill(2), mi.str.zfill(2), sec.fill_null("0").str.zfill(2)], separator=":"
            ),
            pl.lit("."),
            frac.fill_null("0"),
        ]
    )
    parsed = text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    days = s.str.extract(_EXCEL_DATETIME_SERIAL, 1).cast(pl.Float64, strict=False)
    # Excel keeps times as fractions of a day: round to the second it displays.
    seconds = (days * 86400).round(0).cast(pl.Int64, strict=False)
    from_serial = pl.datetime(1899, 12, 30, time_unit="us") + pl.duration(seconds=seconds)
    return pl.coalesce([parsed, from_serial])


def _parse_month(s: pl.Expr) -> pl.Expr:
    y, m = _first_match(s, _MONTH_PATTERNS, 2)
    return _ymd(y, m, pl.lit("01"))


_PARSERS = {
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "date": _parse_date,
    "datetime": _parse_datetime,
    "month": _parse_month,
}


def _quoted(value: pl.Expr) -> pl.Expr:
    short = (
        pl.when(value.str.len_chars() > 60)
        .then(value.str.slice(0, 57) + pl.lit("..."))
        .otherwise(value)
    )
    return pl.lit("'") + short + pl.lit("'")


def type_columns(frame: pl.DataFrame, columns: tuple[Column, ...]) -> pl.DataFrame:
    """Replace each contract column (text) by its typed value; add `reject_reason` (null = ok).

    Several faults in one row are all named, separated by '; '.
    """
    typed: list[pl.Expr] = []
    reasons: list[pl.Expr] = []
    for col in columns:
        text = cleaned(pl.col(col.name))
        if col.type == "str":
            value = text
            bad = pl.lit(False)
            empty = text.is_null()
        else:
            norm = _normalised(text)
            value = _PARSERS[col.type](norm)
            bad = norm.is_not_null() & value.is_null()
            empty = norm.is_null()
        typed.append(value.cast(POLARS_TYPES[col.type]).alias(col.name))
        reason = pl.when(bad).then(pl.lit(f"bad_value:{col.name}=") + _quoted(text))
        if col.value_required:
            reason = reason.when(empty).then(pl.lit(f"missing_value:{col.name}"))
        reasons.append(reason.otherwise(None))
    joined = pl.concat_str(reasons, separator="; ", ignore_nulls=True) if reasons else pl.lit("")
    return frame.with_columns(
        *typed,
        pl.when(joined.str.len_chars() > 0).then(joined).otherwise(None).alias("reject_reason"),
    )
