"""HJ 212 code tables as data: commands, versions, data flags, pollutant codes and units.

Sources: HJ 212-2017 Tables 3, 8, 9 and B.2 (原编码 column for the 2005 codes); HJ/T 212-2005 flag
meanings as implemented by the open-source parsers (see docs/reference/hj212-notes.md §4-5).
"""

from __future__ import annotations

# Flag bits V5..V0 (Flag >> 2): protocol version.
VERSION_BY_BITS: dict[int, str] = {0: "2005", 1: "2017", 2: "2025"}
FLAG_SPLIT = 2  # D: the packet carries PNUM/PNO
FLAG_ACK = 1  # A: the sender wants a reply

# Commands whose CP carries monitoring data: they become rows of raw.cems_values.
DATA_CNS: dict[str, str] = {
    "2011": "real-time data",
    "2021": "facility running state (SBxxx-RS)",
    "2031": "daily data",
    "2041": "daily facility running time (SBxxx-RT)",
    "2051": "minute data",
    "2061": "hourly data",
}

# Every other command is a device event (raw.cems_device_events), typed here.
EVENT_TYPES: dict[str, str] = {
    "9011": "reply",  # request ACK (QnRtn)
    "9012": "reply",  # execution result (ExeRtn)
    "9013": "reply",  # notice ACK
    "9014": "reply",  # data ACK
    "9015": "heartbeat",  # HJ 212-2025
    "9021": "heartbeat",  # login/heartbeat on several vendors' platforms
    "2081": "logger_restart",  # RestartTime
    "3020": "device_info",  # xxxxxx-Info
    "3019": "device_info",  # instrument SN
    "1011": "time_report",  # SystemTime
    "1013": "time_calibration_request",
    "1001": "device_info",  # HJ 212-2025: logger hardware SN
}
DEFAULT_EVENT_TYPE = "command"

CN_MEANINGS: dict[str, str] = {
    "1000": "set time-out / retry count",
    "1011": "get / upload field-device time",
    "1012": "set field-device time",
    "1013": "time-calibration request",
    "1061": "get real-time data interval",
    "1062": "set real-time data interval",
    "1063": "get minute data interval",
    "1064": "set minute data interval",
    "1072": "set access password",
    "2011": "real-time pollutant data",
    "2012": "stop real-time data",
    "2021": "equipment running state",
    "2022": "stop equipment running state",
    "2031": "daily pollutant data",
    "2041": "daily equipment running time",
    "2051": "minute pollutant data",
    "2061": "hourly pollutant data",
    "2081": "data-logger power-on time",
    "3011": "zero/span calibration",
    "3012": "immediate sampling",
    "3013": "clean / back-blow",
    "3014": "comparison sampling",
    "3015": "over-limit sample retention",
    "3016": "set sampling period",
    "3017": "get sampling period",
    "3018": "sample output time",
    "3019": "instrument SN",
    "3020": "field-device information",
    "3021": "set field-device parameters",
    "9011": "request ACK",
    "9012": "execution result",
    "9013": "notice ACK",
    "9014": "data ACK",
    "9015": "heartbeat (2025)",
    "9021": "login / heartbeat (vendor)",
}

# CP field kinds. Value fields become rows; attribute fields annotate the code's values.
VALUE_FIELDS = ("Rtd", "Avg", "Min", "Max", "ZsRtd", "ZsAvg", "ZsMin", "ZsMax", "Cou", "RS", "RT")
ATTRIBUTE_FIELDS = ("Flag", "EFlag", "SampleTime", "SN", "Info")

# HJ 212-2017 Table 8.
FLAGS_2017: dict[str, str] = {
    "N": "instrument working normally",
    "F": "instrument stopped",
    "M": "maintenance",
    "S": "manually set value",
    "D": "instrument fault",
    "C": "calibration",
    "T": "above the instrument's measuring range (not a limit exceedance)",
    "B": "analyser-logger communication failure",
}
# HJ/T 212-2005 flags -> the 2017 vocabulary. 2005 F means the emission *source* stopped, which
# Table 8 has no flag for: it becomes `Sd` (停炉, the platforms' source-stopped mark). P (power
# failure) became a fault. Ambient-air stations used digits.
FLAG_2005_TO_2017: dict[str, str] = {
    "N": "N",
    "F": "Sd",
    "P": "D",
    "C": "C",
    "M": "M",
    "T": "T",
    "D": "D",
    "S": "S",
    "0": "C",  # 校准数据
    "1": "N",  # 气象参数
    "2": "D",  # 异常数据
    "3": "N",  # 正常数据
}
FLAG_EXTRA: dict[str, str] = {"Sd": "emission source stopped (HJ/T 212-2005 F)"}

# HJ/T 212-2005 code -> HJ 212-2017 code (2017 Table B.2 原编码 column; water from Table B.1).
# Mapped per pollutant: one packet may mix both code sets.
CODE_2005_TO_2017: dict[str, str] = {
    # flue gas
    "B02": "a00000",
    "S01": "a19001",
    "S02": "a01011",
    "S03": "a01012",
    "S04": "a01017",
    "S05": "a01014",
    "S06": "a01015",
    "S07": "a01016",
    "S08": "a01013",
    "01": "a34013",
    "02": "a21026",
    "03": "a21002",
    "04": "a21005",
    "05": "a21028",
    "06": "a21018",
    "07": "a21017",
    "08": "a21024",
    "09": "a34038",
    "10": "a21001",
    "11": "a21022",
    "14": "a34039",
    "15": "a34040",
    "17": "a25003",
    "18": "a25005",
    "25": "a24087",
    "30": "a05001",
    "31": "a20057",
    "32": "a20043",
    "33": "a20025",
    "34": "a20091",
    "35": "a20063",
    "36": "a20016",
    "37": "a01010",
    # waste water
    "B01": "w00000",
    "001": "w01001",
    "011": "w01018",
    "060": "w21003",
    "065": "w21001",
    "101": "w21011",
}

# Default units (HJ 212-2017 Table B.2): (concentration or value unit, Cou unit).
UNITS_2017: dict[str, tuple[str, str | None]] = {
    "a00000": ("m3/s", "m3"),
    "a01011": ("m/s", None),
    "a01012": ("degC", None),
    "a01013": ("kPa", None),
    "a01014": ("%", None),
    "a01015": ("degC", None),
    "a01016": ("m2", None),
    "a01017": ("kPa", None),
    "a19001": ("%", None),
    "a34013": ("mg/m3", "kg"),
    "a21026": ("mg/m3", "kg"),
    "a21002": ("mg/m3", "kg"),
    "a21003": ("mg/m3", "kg"),
    "a21004": ("mg/m3", "kg"),
    "a21005": ("mg/m3", "kg"),
    "a21028": ("mg/m3", "kg"),
    "a21018": ("mg/m3", "kg"),
    "a21017": ("mg/m3", "kg"),
    "a21024": ("mg/m3", "kg"),
    # the standard prints ng/m3 for NH3 and CH4; real packets carry mg/m3-sized numbers
    "a21001": ("mg/m3", "kg"),
    "a21022": ("mg/m3", "kg"),
    "a05001": ("mg/m3", "kg"),
    "a05002": ("mg/m3", "kg"),
    "a24087": ("mg/m3", "kg"),
    "a24088": ("mg/m3", "kg"),
    "a20057": ("mg/m3", "kg"),
    "w00000": ("L/s", "m3"),
    "w01001": ("pH", None),
    "w01018": ("mg/L", "kg"),
    "w21003": ("mg/L", "kg"),
    "w21001": ("mg/L", "kg"),
    "w21011": ("mg/L", "kg"),
}

# Pressure codes some stations send in Pa instead of kPa. A station is taken to use Pa for a
# code when the median |value| of its Avg/Rtd readings exceeds this (flue-gas static and dynamic
# pressures are a few kPa at most; in Pa they run to tens or hundreds).
PA_OR_KPA_CODES = ("a01013", "a01017")
PA_THRESHOLD = 30.0
