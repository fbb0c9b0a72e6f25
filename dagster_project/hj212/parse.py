"""Parse HJ 212 packet logs into values, device events and rejects (all polars DataFrames).

Every record (see framing.py) ends up in exactly one place:
  * values: a usable data packet (CN in codes.DATA_CNS), one row per CP value;
  * events: a usable packet of any other command (replies, heartbeats, restarts, device info);
  * rejects: with a named reason (framing: bad_header, truncated, bad_crc_field, crc_mismatch,
    length_mismatch, crc_modbus_le; content: unsupported_version, bad_datatime, bad_value;
    duplicate).

Duplicates: data packets with the same (MN, CN, DataTime, PNO) are one measurement sent twice.
The first one received wins (files in `source_file` order, then line order); each later copy is
rejected with reason `duplicate`, so read = loaded + rejected always holds.

Split packets (Flag bit D, PNUM/PNO) are reassembled as a set keyed by (MN, CN, DataTime, PNUM):
as in the standard's examples each part carries DataTime and whole items, so each part's values
are kept with its own line, and `-Flag` attributes are joined across the whole set. Sets missing
a part are counted (`split_sets_incomplete`) and their parts still loaded.

The access password (PW) is never carried into any output; raw text of rejects is masked.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from dagster_project import warehouse
from dagster_project.hj212 import codes, fields, framing

VALUE_EXTRA_COLUMNS = ("crc_variant", "unit", "code_sent", "eflag", "length_ok", "pno")
REJECT_COLUMNS = ("source_file", "line_no", "reason", "raw_text")
CAT = pl.Categorical


@dataclass
class ParseResult:
    values: pl.DataFrame
    rejects: pl.DataFrame
    events: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    # per source_file: records read, packets loaded (values or events), records rejected
    per_file: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # per source_file: the framed buffer, to fetch a record's raw text later
    frames: dict[str, framing.Frames] = field(default_factory=dict, repr=False)


def _rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _segments_column(buf: np.ndarray, s: np.ndarray, e: np.ndarray) -> pl.Series:
    """The byte ranges buf[s:e] as a string Series, without a Python loop: an Arrow binary
    array whose offsets alternate segment / gap over the file buffer, every other kept."""
    if not len(s):
        return pl.Series("seg", [], dtype=pl.String)
    offsets = np.empty(2 * len(s), dtype=np.int64)
    offsets[0::2], offsets[1::2] = s, e
    arr = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
    )
    binary = pl.Series("seg", arr).gather(np.arange(0, len(offsets), 2))
    # bytes >= 0x80 are rare (UTF-8 Chinese in Info texts, a GBK logger, line noise): find the
    # segments holding them and replace the ones that are not UTF-8 by a lenient decoding
    lo, hi = int(s.min()), int(e.max())
    high = np.flatnonzero(buf[lo:hi] >= 0x80) + lo
    row = np.searchsorted(s, high, side="right") - 1
    rows = np.unique(row[(row >= 0) & (high < e[np.maximum(row, 0)])])
    bad, fixed = [], []
    for i in rows.tolist():
        raw = bytes(buf[s[i] : e[i]])
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(i)
            fixed.append(raw.decode("utf-8", "replace").encode("utf-8"))
    if bad:
        binary = binary.scatter(bad, pl.Series(fixed, dtype=pl.Binary))
    text = binary.cast(pl.String)
    return text.alias("seg")


def parse_files(
    paths: Sequence[Path],
    root: Path | None = None,
    modbus_le_allowed: Collection[str] = (),
    station_units: Mapping[str, Mapping[str, str]] | None = None,
) -> ParseResult:
    """Parse packet logs (plain or gzip). `source_file` is relative to `root` when given.
    MODBUS-LE CRC lines are rejected (`crc_modbus_le`) unless their MN is in `modbus_le_allowed`.
    `station_units` overrides units: {mn: {pollutant_code: unit}}."""
    named = sorted(((_rel(Path(p), root), Path(p)) for p in paths), key=lambda x: x[0])
    reject_parts: list[pl.DataFrame] = []
    file_frames: list[framing.Frames] = []
    counts: Counter[str] = Counter()
    records_per_file: dict[str, int] = {}
    allowed = list(modbus_le_allowed)
    # Pipeline: numpy checks one block of records (CRC included) while the thread pool runs the
    # polars string work of the blocks before it (polars releases the GIL). Blocks also keep
    # polars frames small: its string kernels scale worse than linearly on huge frames here.
    futures = []
    next_pkt = 0
    with ThreadPoolExecutor(WORKERS) as pool:
        for file_idx, (name, path) in enumerate(named):
            buf = np.frombuffer(framing.read_bytes(path), dtype=np.uint8)
            start, end, line_no = framing.split_records(buf)
            n = len(start)
            status = np.empty(n, dtype=np.int8)
            declared = np.empty(n, dtype=np.int64)
            length_ok = np.empty(n, dtype=bool)
            for b in range(0, n, CHUNK_PACKETS):
                sl = slice(b, b + CHUNK_PACKETS)
                status[sl], declared[sl], length_ok[sl] = framing.check_records(
                    buf, start[sl], end[sl]
                )
                st = status[sl]
                usable = b + np.flatnonzero((st == framing.OK) | (st == framing.MODBUS_LE))
                segs = pl.DataFrame(
                    {
                        "pkt": np.arange(next_pkt, next_pkt + len(usable), dtype=np.uint32),
                        "file_idx": np.full(len(usable), file_idx, dtype=np.int32),
                        "rec": usable.astype(np.int64),
                        "line_no": line_no[usable].astype(np.int64),
                        "modbus": status[usable] == framing.MODBUS_LE,
                        "length_ok": length_ok[usable],
                    }
                ).with_columns(_segments_column(buf, start[usable] + 6, end[usable] - 4))
                next_pkt += len(usable)
                futures.append(pool.submit(_parse_chunk, segs, allowed))
            fr = framing.Frames(buf, start, end, line_no, status, declared, length_ok)
            file_frames.append(fr)
            records_per_file[name] = n
            counts["lines_read"] += n
            counts["variant_classified"] += int((status == framing.MODBUS_LE).sum())
            bad = np.flatnonzero((status != framing.OK) & (status != framing.MODBUS_LE))
            if len(bad):
                reasons = [framing.STATUS_NAMES[int(s)] for s in status[bad]]
                reject_parts.append(_rejects(name, fr, bad, reasons))
        if not futures:
            futures.append(pool.submit(_parse_chunk, _empty_segments(), allowed))
        chunks = [f.result() for f in futures]
    names = [n for n, _ in named]
    packets = pl.concat([c.packets for c in chunks])
    bad_value_pkts = pl.concat([c.bad_value_pkts for c in chunks])
    packets = packets.with_columns(
        reason=pl.when(pl.col("reason").is_not_null())
        .then(pl.col("reason"))
        .when(pl.col("is_data") & pl.col("data_time").is_null())
        .then(pl.lit("bad_datatime"))
        .when(pl.col("pkt").is_in(bad_value_pkts.implode()))
        .then(pl.lit("bad_value"))
    )
    # duplicates among the surviving data packets: first received wins
    key = ["mn", "cn", "data_time", "pno"]
    packets = packets.with_columns(
        reason=pl.when(
            pl.col("reason").is_null()
            & pl.col("is_data")
            & ~pl.struct(key)
            .is_first_distinct()
            .over(pl.col("reason").is_null() & pl.col("is_data"))
        )
        .then(pl.lit("duplicate"))
        .otherwise(pl.col("reason"))
    )
    counts["duplicates_resolved"] = int((packets.get_column("reason") == "duplicate").sum())

    # split sets: key and completeness
    packets = packets.with_columns(
        set_key=pl.when(pl.col("pnum") > 1)
        .then(pl.col("pkt").min().over("mn", "cn", "data_time", "pnum", "file_idx"))
        .otherwise(pl.col("pkt"))
    )
    ok = packets.filter(pl.col("reason").is_null())
    split = (
        ok.filter(pl.col("pnum") > 1)
        .group_by("set_key")
        .agg(pl.col("pnum").first(), pl.col("pno").n_unique().alias("parts"))
    )
    counts["split_sets_complete"] = int((split["parts"] >= split["pnum"]).sum())
    counts["split_sets_incomplete"] = int((split["parts"] < split["pnum"]).sum())

    groups = _regroup_split_sets(chunks, ok)
    packet_cols = _packet_columns(packets, names)
    with ThreadPoolExecutor(WORKERS) as pool:
        values = pl.concat(
            list(pool.map(lambda g: _values(packets, packet_cols, g[0], g[1]), groups))
        )
    values = values.with_columns(unit=_units(values, station_units))
    events = _events(ok.filter(~pl.col("is_data")), names)

    # packet-level rejects (content, variant, duplicate)
    pkt_rejects = packets.filter(pl.col("reason").is_not_null()).select("file_idx", "rec", "reason")
    for (file_idx,), part in pkt_rejects.group_by(["file_idx"], maintain_order=True):
        fr = file_frames[int(file_idx)]
        reject_parts.append(
            _rejects(names[int(file_idx)], fr, part["rec"].to_numpy(), part["reason"].to_list())
        )
    rejects = (
        pl.concat(reject_parts).sort("source_file", "line_no")
        if reject_parts
        else pl.DataFrame(schema=_REJECT_SCHEMA)
    )
    counts["packets_valid"] = ok.height
    counts["values"] = values.height
    counts["events"] = events.height
    counts["modbus_le_accepted"] = int(ok.get_column("modbus").sum())
    counts["length_mismatch_accepted"] = int((~ok.get_column("length_ok")).sum())
    for reason, n in Counter(rejects.get_column("reason").to_list()).items():
        counts[f"rejected_{reason}"] = n
    counts["rejected"] = rejects.height
    per_file = _per_file(names, records_per_file, ok, rejects)
    frames = dict(zip(names, file_frames, strict=True))
    return ParseResult(values, rejects, events, dict(counts), per_file, frames)


CHUNK_PACKETS = 50_000


WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class _Chunk:
    packets: pl.DataFrame  # header fields and the first reason (header, CRC variant)
    attrs: pl.DataFrame  # Flag / EFlag items of the data packets
    vals: pl.DataFrame  # value items of the data packets
    bad_value_pkts: pl.Series


def _parse_chunk(segs: pl.DataFrame, modbus_le_allowed: list[str]) -> _Chunk:
    packets = fields.parse_headers(segs).with_columns(
        is_data=pl.col("cn").is_in(list(codes.DATA_CNS)),
        reason=pl.when(pl.col("modbus") & ~pl.col("mn").is_in(modbus_le_allowed).fill_null(False))
        .then(pl.lit("crc_modbus_le"))
        .otherwise(pl.col("header_error")),
    )
    data = packets.filter(pl.col("is_data") & pl.col("reason").is_null())
    attrs, vals, bad = _items(data)
    return _Chunk(packets, attrs, vals, bad)


def _regroup_split_sets(
    chunks: list[_Chunk], ok: pl.DataFrame
) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """(attrs, vals) per slice, with all parts of split packets moved into one group of their
    own, so a set's flags join across its parts."""
    split = ok.filter(pl.col("pnum") > 1).get_column("pkt").implode()
    groups = [(c.attrs, c.vals) for c in chunks]
    if not split.list.len()[0]:
        return groups
    in_split = pl.col("pkt").is_in(split)
    moved = (
        pl.concat([a.filter(in_split) for a, _ in groups]),
        pl.concat([v.filter(in_split) for _, v in groups]),
    )
    return [(a.filter(~in_split), v.filter(~in_split)) for a, v in groups] + [moved]


def _items(chunk: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """(Flag/EFlag items, value items with a numeric `value`, packets with a bad value).

    Value items get the `-Flag` of their code when it sits in the same run of items of that
    code in the same packet (the usual `code-Avg=..,code-Flag=N` layout), by run numbers
    instead of a join; `_values` joins the rest."""
    items = fields.explode_items(chunk.select("pkt", "cp")).with_row_index("row")
    attrs = items.filter(pl.col("field").is_in(["Flag", "EFlag"]))
    code_id = items.get_column("code").to_physical().cast(pl.UInt64).fill_null(0xFFFFFFFF)
    key = (items.get_column("pkt").cast(pl.UInt64) * (1 << 32) + code_id).to_numpy()
    run = np.cumsum(np.concatenate(([True], key[1:] != key[:-1]))) - 1 if len(key) else key
    is_flag = (
        (items.get_column("field") == "Flag") & items.get_column("code").is_not_null()
    ).to_numpy()
    flag_rows = np.flatnonzero(is_flag)
    last_flag = np.full(int(run[-1]) + 1 if len(run) else 0, -1, dtype=np.int64)
    last_flag[run[flag_rows]] = np.arange(len(flag_rows))
    flags = items[flag_rows].select("pkt", "val")
    flags = flags.join(
        chunk.select("pkt", "protocol_version"), on="pkt", how="left", maintain_order="left"
    ).select(*_flag_columns("val"))

    value_items, bad = _numeric_values(
        items.filter(pl.col("code").is_not_null() & ~pl.col("is_attribute"))
    )
    pos = last_flag[run[value_items.get_column("row").to_numpy()]]
    pos_s = pl.Series(pos, dtype=pl.Int64)
    pos_s = pl.select(pl.when(pos_s >= 0).then(pos_s)).to_series()
    value_items = value_items.select(
        "pkt", "code", "field", "pollutant_code", "default_unit", "value"
    ).with_columns(
        flag=flags.get_column("flag").gather(pos_s),
        flag_2017=flags.get_column("flag_2017").gather(pos_s),
    )
    return attrs.drop("row"), value_items, bad


def _numeric_values(items: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Value items with `value` as a double, and the packets holding a value that is not a
    number. Empty values stay as nulls; text in an unknown vendor field is left out. The slow
    checks run only on the few items whose plain cast failed."""
    value = fields.numeric_fast(items.get_column("val"))
    null_idx = np.flatnonzero(value.is_null().to_numpy())
    keep = items.get_column("has_eq").to_numpy().copy()
    bad = pl.Series("pkt", [], dtype=items.schema["pkt"])
    if len(null_idx):
        sub = items[null_idx]
        stripped = sub.get_column("val").str.strip_chars()
        retry = fields.numeric_fast(stripped)
        text = retry.is_null() & (stripped.str.len_bytes() > 0)
        broken = text & (sub.get_column("known_field") | ~sub.get_column("has_eq"))
        bad = sub.get_column("pkt").filter(broken).unique()
        value = value.scatter(null_idx, retry)
        keep[null_idx[text.to_numpy()]] = False
    out = items.with_columns(value=value)
    return (out if keep.all() else out.filter(pl.Series(keep))), bad


_REJECT_SCHEMA = {
    "source_file": pl.String,
    "line_no": pl.Int64,
    "reason": pl.String,
    "raw_text": pl.String,
}


def _empty_segments() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "pkt": pl.UInt32,
            "file_idx": pl.Int32,
            "rec": pl.Int64,
            "line_no": pl.Int64,
            "modbus": pl.Boolean,
            "length_ok": pl.Boolean,
            "seg": pl.String,
        }
    )


def _rejects(name: str, fr: framing.Frames, idx: np.ndarray, reasons: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_file": [name] * len(idx),
            "line_no": fr.line_no[idx].astype(np.int64),
            "reason": reasons,
            "raw_text": [fields.mask_raw(fr.text(int(i))) for i in idx],
        },
        schema=_REJECT_SCHEMA,
    )


def _per_file(
    names: list[str], records: dict[str, int], ok: pl.DataFrame, rejects: pl.DataFrame
) -> dict[str, tuple[int, int, int]]:
    loaded = Counter(ok.get_column("file_idx").to_list())
    rejected = Counter(rejects.get_column("source_file").to_list())
    return {n: (records[n], loaded.get(i, 0), rejected.get(n, 0)) for i, n in enumerate(names)}


def _packet_columns(packets: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """The packet-level output columns, one row per `pkt`, computed once for all value rows."""
    return packets.select(
        pl.col("file_idx")
        .replace_strict(dict(enumerate(names)), return_dtype=pl.String)
        .cast(CAT)
        .alias("source_file"),
        "line_no",
        *(pl.col(c).cast(CAT) for c in ("qn", "st", "cn", "mn", "protocol_version")),
        "data_time",
        crc_variant=pl.when(pl.col("modbus"))
        .then(pl.lit("modbus_le"))
        .otherwise(pl.lit("hj212"))
        .cast(CAT),
        length_ok="length_ok",
        pno="pno",
    )


def _values(
    packets: pl.DataFrame,
    packet_cols: pl.DataFrame,
    attrs: pl.DataFrame,
    value_items: pl.DataFrame,
) -> pl.DataFrame:
    """Long-format values of the usable data packets, with flags joined per code and set.
    `packets` and `packet_cols` are indexed by `pkt` (row number), so packet columns are
    gathered, not joined; flags join on one integer key (set, code)."""
    usable = packets.get_column("reason").is_null() & packets.get_column("is_data")
    set_key = packets.get_column("set_key").cast(pl.UInt64)

    all_usable = bool(usable.all())

    def keyed(df: pl.DataFrame) -> pl.DataFrame:
        if not all_usable:
            df = df.filter(usable.gather(df.get_column("pkt")))
        idx = df.get_column("pkt")
        code_id = df.get_column("code").to_physical().cast(pl.UInt64).fill_null(0xFFFFFFFF)
        sets = set_key.gather(idx)
        return df.with_columns(set_key=sets, key=sets * (1 << 32) + code_id)

    attrs = keyed(attrs)
    flag = (
        attrs.filter(pl.col("code").is_not_null() & (pl.col("field") == "Flag"))
        .group_by("key")
        .agg(flag=pl.col("val").first(), set_key=pl.col("set_key").first())
    )
    flag = flag.with_columns(
        protocol_version=packets.get_column("protocol_version").gather(flag.get_column("set_key"))
    )
    flag = flag.select("key", *_flag_columns("flag"))
    eflag = (
        attrs.filter(pl.col("code").is_not_null() & (pl.col("field") == "EFlag"))
        .group_by("key")
        .agg(eflag=pl.col("val").first())
    )
    # a bare `Flag=` in the CP (no pollutant prefix) applies to codes without their own flag
    bare = attrs.filter(pl.col("code").is_null() & (pl.col("field") == "Flag"))
    bare = (
        bare.with_columns(set_key=set_key.gather(bare.get_column("pkt")))
        .group_by("set_key")
        .agg(flag=pl.col("val").first())
    )
    bare = bare.with_columns(
        protocol_version=packets.get_column("protocol_version").gather(bare.get_column("set_key"))
    ).select("set_key", *(c.name.prefix("packet_") for c in _flag_columns("flag")))
    v = keyed(value_items)
    missing = v.get_column("flag").is_null()
    if flag.height and missing.any():  # flags elsewhere in the packet or its split set
        idx = pl.Series(np.flatnonzero(missing.to_numpy()))
        found = v[idx].select("key").join(flag, on="key", how="left", maintain_order="left")
        v = v.with_columns(
            flag=v.get_column("flag").scatter(idx, found.get_column("flag")),
            flag_2017=v.get_column("flag_2017").scatter(idx, found.get_column("flag_2017")),
        )
    v = v.drop("set_key")
    v = (
        v.join(eflag, on="key", how="left", maintain_order="left")
        if eflag.height
        else v.with_columns(eflag=pl.lit(None, pl.String))
    )
    if bare.height:
        v = (
            v.with_columns(set_key=set_key.gather(v.get_column("pkt")))
            .join(bare, on="set_key", how="left", maintain_order="left")
            .with_columns(
                flag=pl.coalesce("flag", "packet_flag"),
                flag_2017=pl.coalesce("flag_2017", "packet_flag_2017"),
            )
        )
    pk = packet_cols[v.get_column("pkt")]
    v = pl.concat([v, pk], how="horizontal")
    v = v.with_columns(unit=pl.col("default_unit"))
    cols = {**warehouse.CEMS_VALUES_COLUMNS}
    out = v.select(
        *cols,
        "crc_variant",
        "unit",
        pl.col("code").alias("code_sent"),
        pl.col("eflag").cast(CAT),
        "length_ok",
        "pno",
    )
    assert out.columns == [*cols, *VALUE_EXTRA_COLUMNS]
    return out


def _flag_columns(name: str) -> list[pl.Expr]:
    """The flag as sent and its HJ 212-2017 reading (2005 meanings mapped), as categoricals."""
    sent = pl.col(name)
    flag_2017 = (
        pl.when(pl.col("protocol_version") == "2005")
        .then(sent.replace_strict(codes.FLAG_2005_TO_2017, default=sent, return_dtype=pl.String))
        .otherwise(sent)
    )
    return [sent.cast(CAT).alias("flag"), flag_2017.cast(CAT).alias("flag_2017")]


def _units(v: pl.DataFrame, station_units: Mapping[str, Mapping[str, str]] | None) -> pl.Series:
    """Unit per row: a station override, else Pa where a station's pressure readings are
    Pa-sized, else the standard's default for the code (`unit` holds it on the way in)."""
    pressure = pl.col("pollutant_code").is_in(list(codes.PA_OR_KPA_CODES))
    level = (
        v.filter(pressure & pl.col("field").is_in(["Rtd", "Avg"]))
        .group_by("mn", "pollutant_code")
        .agg(level=pl.col("value").abs().median())
        .filter(pl.col("level") > codes.PA_THRESHOLD)
        .select("mn", "pollutant_code", pa=pl.lit(True))
    )
    overrides = [(mn, c, u) for mn, m in (station_units or {}).items() for c, u in m.items()]
    if not level.height and not overrides:
        return v.get_column("unit")
    keys = v.select(
        pl.col("mn").cast(pl.String),
        pl.col("pollutant_code").cast(pl.String),
        pl.col("field").cast(pl.String),
        pl.col("unit").cast(pl.String).alias("default_unit"),
    )
    level = level.with_columns(pl.col("mn", "pollutant_code").cast(pl.String))
    unit = keys.join(level, on=["mn", "pollutant_code"], how="left", maintain_order="left")
    unit = unit.with_columns(
        unit=pl.when(pl.col("pa") & pl.col("field").is_in(["Rtd", "Avg", "Min", "Max"]))
        .then(pl.lit("Pa"))
        .otherwise(pl.col("default_unit"))
    )
    if overrides:
        table = pl.DataFrame(
            overrides, schema=["mn", "pollutant_code", "unit_override"], orient="row"
        )
        unit = unit.join(table, on=["mn", "pollutant_code"], how="left", maintain_order="left")
        unit = unit.with_columns(unit=pl.coalesce("unit_override", "unit"))
    return unit.get_column("unit").cast(CAT)


def _events(pkts: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    out = pkts.select(
        source_file=pl.col("file_idx").replace_strict(
            dict(enumerate(names)), return_dtype=pl.String
        ),
        line_no="line_no",
        qn="qn",
        st="st",
        cn="cn",
        mn="mn",
        protocol_version="protocol_version",
        data_time=pl.coalesce("data_time", "qn_time"),
        event_type=pl.col("cn").replace_strict(
            codes.EVENT_TYPES, default=codes.DEFAULT_EVENT_TYPE, return_dtype=pl.String
        ),
        detail=fields.mask_cp(pl.col("cp")),
    )
    assert list(out.columns) == list(warehouse.CEMS_EVENTS_COLUMNS)
    return out.sort("source_file", "line_no")
