"""Arrow tables of the parser's value rows, built without repeating a packet's columns per value.

A value row's packet columns (file, line, QN, MN, DataTime, ...) are the same for every value of
the packet. `values_table` writes them as dictionary arrays whose dictionary is the piece's
packets and whose indices are the rows' packet numbers (a column constant over the piece is one
dictionary entry); categorical item columns keep their category ids. No string is copied per
value row, and Parquet stores the columns dictionary-encoded (readers see plain strings).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.hj212 import codes
from dagster_project.hj212.values import PACKET_COLUMNS, VALUES_SCHEMA


def values_table(items: pl.DataFrame, packet_cols: pl.DataFrame) -> pa.Table:
    """The value rows (VALUES_SCHEMA order) as Arrow: strings dictionary-encoded (int32)."""
    pkt = items.get_column("pkt").to_numpy().astype(np.intp)
    arrays = {name: gathered(packet_cols.get_column(name), pkt) for name in PACKET_COLUMNS}
    for name in VALUES_SCHEMA:
        if name not in arrays:
            col = items.get_column(name)
            arrays[name] = dictionary(col) if col.dtype == pl.Categorical else col.to_arrow()
    return pa.table({name: arrays[name] for name in VALUES_SCHEMA})


def values_schema() -> pa.Schema:
    """The Arrow schema of `values_table`."""
    empty = pl.DataFrame(schema={"pkt": pl.UInt32, **VALUES_SCHEMA})
    return values_table(empty.drop(*PACKET_COLUMNS), empty.select(PACKET_COLUMNS)).schema


def dictionary(col: pl.Series) -> pa.DictionaryArray:
    """A categorical or string column as a dictionary array (int32 indices). A categorical
    keeps its category ids; its dictionary is the category list they index."""
    if col.dtype == pl.Categorical:
        ids = col.to_physical()  # before the categories: ids are never reused, only added
        categories = col.dtype.categories.to_series().to_arrow()  # type: ignore[attr-defined]
        indices = _int32(ids.fill_null(0).to_numpy().view(np.int32), ids.is_null())
        return pa.DictionaryArray.from_arrays(indices, categories.cast(pa.large_string()))
    encoded = pc.dictionary_encode(col.cast(pl.String).to_arrow())
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return pa.DictionaryArray.from_arrays(
        encoded.indices.cast(pa.int32()), encoded.dictionary.cast(pa.large_string())
    )


def gathered(col: pl.Series, rows: np.ndarray) -> pa.Array:
    """col[rows] as Arrow; strings as a dictionary array that encodes the (short) column once.
    A column with one value is not gathered at all."""
    if col.dtype in (pl.String, pl.Categorical):
        encoded = dictionary(col)
        if encoded.indices.null_count:
            taken = encoded.indices.take(pa.array(rows))
        else:
            ids = encoded.indices.to_numpy()
            if len(ids) and ids.min() == ids.max():
                taken = pa.array(np.full(len(rows), ids[0], dtype=np.int32))
            else:
                taken = pa.array(ids[rows])
        return pa.DictionaryArray.from_arrays(taken, encoded.dictionary)
    if col.null_count() or col.dtype == pl.Boolean:
        return col.gather(pl.Series(rows)).to_arrow()
    return pa.array(col.to_numpy()[rows])


def _int32(values: np.ndarray, nulls: pl.Series) -> pa.Array:
    mask = nulls.to_numpy()
    return pa.array(values, type=pa.int32(), mask=mask if mask.any() else None)


# --- wide readings: the warehouse's storage of value rows ------------------------------------
#
# One row per run of a packet's items that share code, flags and sampling time (normally: one
# row per pollutant code of a packet), with one column per value field. A field sent twice in a
# run opens a second row; a field outside codes.VALUE_FIELDS is kept as an extra row (`field`,
# `value`). `fields` has bit i set
# when VALUE_FIELDS[i] was sent (its value may be null: `a21026-Avg=` is kept). Unpivoting the
# wide rows and adding the extra rows gives back exactly the value rows (see lake.py's views).

WIDE_FIELDS = codes.VALUE_FIELDS
WIDE_COLUMNS = tuple(
    "zs_" + f[2:].lower() if f.startswith("Zs") else f.lower() for f in WIDE_FIELDS
)
# the unit column of each field: Rtd/Avg/Min/Max, the converted Zs*, Cou, the state RS/RT
UNIT_GROUPS = ("unit", "zs_unit", "cou_unit", "state_unit")
FIELD_UNIT_GROUP = tuple(
    0 if i < 4 else 1 if i < 8 else 2 if f == "Cou" else 3 for i, f in enumerate(WIDE_FIELDS)
)
READING_ITEM_COLUMNS = (
    "code_sent",
    "pollutant_code",
    "flag",
    "flag_2017",
    "eflag",
    "sample_time",
)
_RUN_KEY = ("pkt", *READING_ITEM_COLUMNS)


def readings_table(
    items: pl.DataFrame,
    packet_cols: pl.DataFrame,
    split: bool = False,
    constants: dict[str, str] | None = None,
) -> pa.Table:
    """The value rows (`items`, `pkt`-sorted, in CP order per packet) as wide readings (see
    above), with their packet's columns, `needs_merge` (the packet is split, holds two rows of
    one pollutant code or extra rows: (mn, cn, data_time, pollutant_code) is then not one wide
    row) and constant string columns (e.g. file_sha256, build_id)."""
    n = items.height
    field_idx = _field_index(items.get_column("field"))
    key = items.select([pl.col(c).to_physical() for c in _RUN_KEY])
    run = _runs(key, n)
    row, extra = _rows(run, field_idx)
    units = items.get_column("unit")
    unit_ids = units.to_physical().fill_null(-1).cast(pl.Int64).to_numpy()
    # one unit per field group and row: values.units decides per (MN, code, group), so the
    # fields of a group in a row share it (the lake's round-trip test holds it)
    group = np.where(field_idx >= 0, np.array((*FIELD_UNIT_GROUP, 0))[field_idx], -1)
    wide = ~extra
    wide_idx = np.flatnonzero(wide)
    extra_idx = np.flatnonzero(extra)
    row_of = _dense(row[wide_idx])  # 0..n_wide-1
    n_wide = int(row_of.max()) + 1 if len(row_of) else 0
    first = wide_idx[_first_of_each(row_of)]
    # one output row per wide row (at its first item) and per extra item, in item order
    out_item = np.concatenate((first, extra_idx))
    order = np.argsort(out_item, kind="stable")
    out_item = out_item[order]
    n_out = len(out_item)
    is_extra_out = np.concatenate((np.zeros(n_wide, bool), np.ones(len(extra_idx), bool)))[order]
    pos_of_wide = np.empty(n_wide, dtype=np.int64)
    pos_of_wide[order[order < n_wide]] = np.flatnonzero(~is_extra_out)
    out_row = np.full(n, -1, dtype=np.int64)  # output position of each wide item
    out_row[wide_idx] = pos_of_wide[row_of]

    value = items.get_column("value").to_numpy()
    value_null = items.get_column("value").is_null().to_numpy()
    bits = np.zeros(n_out, dtype=np.int16)
    columns: dict[str, pa.Array] = {}
    for k, name in enumerate(WIDE_COLUMNS):
        sel = np.flatnonzero(wide & (field_idx == k))
        target = out_row[sel]
        bits[target] |= np.int16(1 << k)
        col = np.full(n_out, np.nan)
        mask = np.ones(n_out, dtype=bool)
        col[target] = value[sel]
        mask[target] = value_null[sel]
        columns[name] = pa.array(col, mask=mask)
    for g, name in enumerate(UNIT_GROUPS):
        sel = np.flatnonzero(wide & (group == g))
        ids = np.full(n_out, -1, dtype=np.int64)
        ids[out_row[sel]] = unit_ids[sel]
        if g == 0:
            ids[is_extra_out] = unit_ids[out_item[is_extra_out]]
        columns[name] = _category_column(units, ids)
    extra_value = np.where(is_extra_out, value[out_item], np.nan)
    columns["field"] = _category_column(
        items.get_column("field"),
        np.where(
            is_extra_out,
            items.get_column("field").to_physical().cast(pl.Int64).to_numpy()[out_item],
            -1,
        ),
    )
    columns["value"] = pa.array(extra_value, mask=~is_extra_out | value_null[out_item])
    columns["fields"] = pa.array(bits)

    pkt = items.get_column("pkt").to_numpy().astype(np.intp)[out_item]
    table = {name: gathered(packet_cols.get_column(name), pkt) for name in PACKET_COLUMNS}
    picked = items[out_item]
    for name in READING_ITEM_COLUMNS:
        col = picked.get_column(name)
        table[name] = dictionary(col) if col.dtype == pl.Categorical else col.to_arrow()
    table.update(columns)
    if split:
        merge = np.ones(n_out, bool)
    else:  # a code twice in a packet, or vendor fields beside the wide ones
        merge = _repeated_code(pkt, picked.get_column("pollutant_code"))
        if is_extra_out.any():
            merge |= np.isin(pkt, np.unique(pkt[is_extra_out]))
    table["needs_merge"] = pa.array(merge)
    return with_constants(pa.table({name: table[name] for name in readings_columns()}), constants)


def with_constants(table: pa.Table, constants: dict[str, str] | None) -> pa.Table:
    """`table` with a constant string column (dictionary-encoded, one entry) per constant."""
    for name, text in (constants or {}).items():
        table = table.append_column(
            name,
            pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(table.num_rows, np.int32)), pa.array([text], pa.large_string())
            ),
        )
    return table


def readings_columns(constants: dict[str, str] | None = None) -> list[str]:
    return [
        *PACKET_COLUMNS,
        *READING_ITEM_COLUMNS,
        *UNIT_GROUPS,
        "fields",
        *WIDE_COLUMNS,
        "field",
        "value",
        "needs_merge",
        *(constants or {}),
    ]


def _field_index(field: pl.Series) -> np.ndarray:
    """Index of each item's field in WIDE_FIELDS, -1 for other fields."""
    ids = field.to_physical().fill_null(0).cast(pl.Int64).to_numpy()
    if not len(ids):
        return ids
    names = field.dtype.categories.to_series()  # type: ignore[attr-defined]
    lookup = np.full(len(names), -1, dtype=np.int64)
    for k, f in enumerate(WIDE_FIELDS):
        hit = (names == f).arg_true()
        if len(hit):
            lookup[hit.to_numpy()] = k
    out = lookup[np.minimum(ids, len(lookup) - 1)]
    out[field.is_null().to_numpy()] = -1
    return out


def _dense(ids: np.ndarray) -> np.ndarray:
    """ids renumbered 0..k-1 in their sorted order (without a sort when they come sorted)."""
    if not len(ids):
        return ids
    if (ids[1:] >= ids[:-1]).all():
        return np.cumsum(np.concatenate(([0], ids[1:] != ids[:-1])))
    return np.unique(ids, return_inverse=True)[1]


def _first_of_each(ids: np.ndarray) -> np.ndarray:
    """Position of the first occurrence of each distinct id (ids dense 0..k-1), by id."""
    if not len(ids):
        return ids
    if (ids[1:] >= ids[:-1]).all():  # the usual case: rows come one after another
        return np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    return np.unique(ids, return_index=True)[1]


def _runs(key: pl.DataFrame, n: int) -> np.ndarray:
    """Run number of each item: a new run where any key column changes."""
    if not n:
        return np.zeros(0, dtype=np.int64)
    change = key.select(
        pl.any_horizontal(pl.col(c).ne_missing(pl.col(c).shift(1)) for c in key.columns)
    ).to_series()
    return np.cumsum(change.fill_null(True).to_numpy()) - 1


def _rows(run: np.ndarray, field_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row of each item, extra mask): a field repeated within a run opens a new row there;
    fields outside WIDE_FIELDS are extras."""
    extra = field_idx < 0
    n = len(run)
    if not n:
        return run, extra
    # the usual case, checked without a sort: each run's fields are distinct (runs are
    # consecutive, so a run's fields are distinct when the sum of their bits equals their OR)
    bits = np.where(extra, 0, np.left_shift(1, np.maximum(field_idx, 0))).astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], run[1:] != run[:-1])))
    if (np.add.reduceat(bits, starts) == np.bitwise_or.reduceat(bits, starts)).all():
        return run * 64, extra
    key = run * 16 + np.where(extra, 15, field_idx)
    order = np.argsort(key, kind="stable")
    sk = key[order]
    repeat = np.zeros(n, dtype=bool)
    repeat[order[1:]] = sk[1:] == sk[:-1]
    repeat &= ~extra
    if not repeat.any():
        return run * 64, extra
    # the k-th time a field comes in a run goes to the run's k-th row
    occurrence = np.zeros(n, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
    pos = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    occurrence[order] = pos
    occurrence = np.minimum(occurrence, 63)
    return run * 64 + occurrence, extra


def _category_column(source: pl.Series, ids: np.ndarray) -> pa.DictionaryArray:
    """Category ids (-1: null) of `source`'s categorical as a dictionary array."""
    categories = source.dtype.categories.to_series().to_arrow()  # type: ignore[attr-defined]
    return pa.DictionaryArray.from_arrays(
        pa.array(np.maximum(ids, 0).astype(np.int32), mask=ids < 0),
        categories.cast(pa.large_string()),
    )


def _repeated_code(pkt: np.ndarray, code: pl.Series) -> np.ndarray:
    """Rows of packets that hold two rows of one pollutant code."""
    ids = code.to_physical().fill_null(0).cast(pl.Int64).to_numpy()
    key = pkt.astype(np.int64) * (1 << 32) + ids
    if not len(key):
        return np.zeros(0, dtype=bool)
    order = np.argsort(key, kind="stable") if not (key[1:] > key[:-1]).all() else None
    if order is None:  # strictly increasing: no code twice in a packet
        return np.zeros(len(key), dtype=bool)
    sk = key[order]
    dup = np.zeros(len(key), dtype=bool)
    same = sk[1:] == sk[:-1]
    dup[order[1:]] |= same
    dup[order[:-1]] |= same
    if not dup.any():
        return dup
    bad_pkts = np.unique(pkt[dup])
    return np.isin(pkt, bad_pkts)
