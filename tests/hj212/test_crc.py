"""The folded CRC equals the standard's byte loop, and masking keeps passwords out of text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.hj212.crc import hj212_crc16, hj212_crc16_folded
from dagster_project.hj212.masking import mask_raw

STANDARD_EXAMPLE = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&RtdInterval=30&&"
)


def test_folded_crc_of_the_standards_example() -> None:
    assert hj212_crc16_folded(STANDARD_EXAMPLE) == 0x1C80
    assert hj212_crc16_folded(b"") == hj212_crc16(b"") == 0xFFFF


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2000))
def test_folded_crc_equals_the_byte_loop(data: bytes) -> None:
    assert hj212_crc16_folded(data) == hj212_crc16(data)


def test_mask_raw_hides_passwords_in_header_and_cp() -> None:
    seg = "QN=1;ST=31;CN=1072;PW=s3cret;MN=ABC;Flag=5;CP=&&NewPW=n3wsecret&&"
    masked = mask_raw(seg)
    assert "s3cret" not in masked and "n3wsecret" not in masked
    assert masked.startswith("QN=1;ST=31;CN=1072;PW=******;MN=ABC;Flag=5;CP=&&NewPW=******")
    # a damaged PW key still does not let the password through
    assert "s3cret" not in mask_raw("QN=1;ST=31;CN=2011;P W=s3cret;MN=ABC;CP=&&&&")
