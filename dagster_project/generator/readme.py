"""Write sources/README.md: the static feed documentation plus this sample's counts and events."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dagster_project.feeds.contracts import LEDGER_FEEDS
from dagster_project.generator.county import County

if TYPE_CHECKING:
    from dagster_project.generator.core import GenerationSummary

TEMPLATE = Path(__file__).with_name("sources_readme.md")


def write_readme(out_dir: Path, s: GenerationSummary, county: County) -> None:
    lines = [
        TEMPLATE.read_text(encoding="utf-8").rstrip(),
        "",
        *column_tables(),
        "",
        "## This sample",
        "",
        f"Generated with seed {s.seed}, start {s.start}, {s.days} days, "
        f"{s.enterprises} enterprises: "
        f"{s.outlets} outlets, {s.monitored_outlets} with CEMS (MN), {s.hourly_packets} hourly and "
        f"{s.minute_packets} minute packets, {s.event_packets} heartbeat/restart packets."
        + (
            f" Minute data from {s.minute_share:.0%} of the CEMS outlets, every day."
            if s.minute_share is not None
            else ""
        ),
        "",
        "| file | records |",
        "|---|---|",
    ]
    lines += [f"| `{rel}` | {n} |" for rel, n in sorted(s.files.items())]
    lines += [
        "",
        "### Deliberately corrupted CEMS lines (must land in the rejects)",
        "",
        "| file | line | fault |",
        "|---|---|---|",
    ]
    lines += [f"| `{c.file}` | {c.line_no} | {c.kind} |" for c in s.corrupted_lines]
    lines += [
        "",
        "### Events in the CEMS data (clean sample: no falsification)",
        "",
        "Daily calibrations (10 minutes, flag C in minute data) happen every day on every "
        "analyser at a fixed outlet-specific time; only the first day is listed.",
        "",
        "| MN | outlet | event | pollutant | start | end | note |",
        "|---|---|---|---|---|---|---|",
    ]
    outlet_of = {o.mn: o for o in county.monitored_outlets}
    for e in s.events:
        o = outlet_of.get(e.mn)
        label = f"{o.outlet_id} {o.outlet_name}" if o else ""
        lines.append(
            f"| {e.mn} | {label} | {e.kind} | {e.pollutant or ''} | {e.start:%Y-%m-%d %H:%M} | "
            f"{e.end:%Y-%m-%d %H:%M} | {e.note} |"
        )
    lines += [
        "",
        "### Events in the ambient data",
        "",
        "Re-sent hourly records (rejected as duplicate_key): "
        + (", ".join(s.ambient_duplicates) or "none")
        + ".",
        "",
        "| station | event | pollutant | first hour (start) | hours | note |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {e.station} | {e.kind} | {e.pollutant} | {e.start:%Y-%m-%d %H:%M} | {e.hours} | "
        f"{e.note} |"
        for e in s.ambient_events
    ]
    (out_dir / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# What each column holds in this sample, where the contract has no description (units included).
COLUMN_NOTES: dict[str, str] = {
    "enterprise_id": "统一社会信用代码, 18 characters, GB 32100-2015 check characters",
    "name": "enterprise name (fictional)",
    "township": "one of the 11 townships",
    "industry_code": "GB/T 4754-2017 class, 4 digits (text)",
    "permit_no": "排污许可证编号: USCC + 3 digits + V (重点管理) or U (简化管理)",
    "longitude": "WGS-84 decimal degrees",
    "latitude": "WGS-84 decimal degrees",
    "in_park": "in the 化工镇 chemical park",
    "eia_capacity": "EIA-approved annual capacity, in capacity_unit",
    "permit_capacity": "permitted annual capacity, in capacity_unit",
    "prior_year_output": "2022 actual output, in capacity_unit",
    "capacity_unit": "GJ, 万块标砖, t, t熟料, 万平方米, 万张, 件, 台次, 万件",
    "outlet_id": "permit outlet code, DA001… per enterprise",
    "outlet_name": "排放口名称",
    "unit_id": "GL01… boilers, YL01… kilns, HG01… dryers, SC01… VOC lines",
    "networked": "CEMS data networked to the platform (false where no MN)",
    "stack_height_m": "m",
    "pollutant_code": "HJ 212-2017: a34013 PM, a21026 SO2, a21002 NOx, a21001 NH3, a24088 NMHC",
    "mn": "HJ 212 device MN (14 or 24 characters)",
    "low_nox_burner": "low-NOx burner fitted",
    "dedicated_burner": "dedicated biomass burner (专用炉具)",
    "desulfurization": "e.g. wet_limestone, semi_dry, none",
    "denitrification": "e.g. sncr, sncr+scr, low_nox_burner, none",
    "auto_monitoring": "automatic monitoring (CEMS) installed",
    "monitoring_networked": "CEMS networked to the platform",
    "voc_control": "VOC treatment on the kiln (plasma, photocatalysis) or empty",
    "uses_ammonia": "ammonia-based desulfurization or denitrification (SNCR/SCR, 氨法)",
    "ammonia_slip_monitoring": "ammonia-slip monitoring installed",
    "damage_found": "kiln body / gas-generator damage recorded (plan task 20)",
    "damage_description": "问题描述 (Chinese)",
    "low_voc_substituted": "low-VOC raw materials substituted",
    "ldar_done": "LDAR carried out (empty where seal points are not counted)",
    "carbon_last_replaced": "date of the last activated-carbon replacement",
    "direction": "in, out",
    "cargo": "cargo (Chinese)",
    "limit_mg_m3": "hourly limit, mg/m³, converted basis where the outlet has a reference O2",
    "analyzer_range": "analyser full scale, mg/m³",
    "detection_limit": "mg/m³",
    "capacity_t_h": "rated steam output, t/h",
    "commissioned_year": "year",
    "dust_control": "e.g. bag_filter, wet_esp, bag_filter+wet_esp, cyclone, water_film, none",
    "product": "product name (Chinese)",
    "fuel": "coal, gas/natural_gas, biomass, coal_gangue_internal, producer_gas, coke, electric, …",
    "capacity": "design capacity, in capacity_unit",
    "found_date": "date the damage was recorded (March-May 2023)",
    "rectification_deadline": "2023-10-31",
    "rectified_date": "empty = not yet rectified",
    "material": "raw or auxiliary material (Chinese)",
    "seal_points": "count of sealing points (chemical plants)",
    "carbon_interval_days": "days",
    "combustion_temp_records_months": "months of RTO/RCO temperature records kept",
    "period": "YYYY-MM",
    "item": "原煤, 天然气, 生物质成型燃料, 煤矸石, 焦炭, products, solvents (Chinese)",
    "quantity": "in unit",
    "unit": "t, 万立方米, 万块标砖, 万平方米, 万张, 件",
    "sulfur_pct": "% by mass (fuels)",
    "ash_pct": "% by mass (fuels)",
    "voc_content_pct": "% by mass (solvents, raw materials)",
    "gate_time": "local time",
    "plate_no": "e.g. 豫H·12345; new-energy 豫H·D12345; empty for rail/belt",
    "tonnes": "t",
    "test_date": "date",
    "converted_mg_m3": "mg/m³ at the reference O2 (measured value where none applies)",
    "flow_m3_h": "m³/h, standard dry",
    "o2_pct": "%",
    "report_no": "monitoring report number",
    "station_code": "station code (text, 9 digits)",
    "station_name": "市政府, 国土资源局 or <乡镇>站",
    "six_pollutant_since": "date SO2/NO2/CO/O3 joined PM10/PM2.5 (task 35); empty = always",
    "date": "date (local)",
    "point_code": "dust-fall sampling point code (JC…)",
    "point_name": "sampling point name",
    "sampling_days": "days the sampler was exposed",
    "road_code": "key-road code (DL…)",
    "road_name": "road name",
    "pm10_ug_m3": "monthly mean roadside PM10, µg/m³",
    "dust_load_g_m2": "road dust load (积尘负荷), g/m²",
}


def column_tables() -> list[str]:
    """One table per feed from contracts.py: canonical name, type, required, Chinese headers,
    meaning and plausibility bounds."""
    out: list[str] = []
    for spec in LEDGER_FEEDS:
        out += [
            f"### {spec.folder}/ `{spec.file_glob}` → raw.{spec.table}",
            "",
            spec.description
            + (f" Key: {', '.join(spec.key)}." if spec.key else " No key (no duplicate check)."),
            "",
            "| column | type | required | Chinese headers | meaning | plausible values |",
            "|---|---|---|---|---|---|",
        ]
        for c in spec.columns:
            bounds = c.bounds.describe() if c.bounds else ""
            out.append(
                f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | "
                f"{' / '.join(c.aliases)} | {c.description or COLUMN_NOTES.get(c.name, '')} | "
                f"{bounds} |"
            )
        out.append("")
    return out
