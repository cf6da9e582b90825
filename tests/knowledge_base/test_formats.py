"""The national portal's layout: ma_thu_tuc <-> national_codes, provenance and successors round-trip."""

from __future__ import annotations

import json

from knowledge_base.formats import Bundle, Format, parse, render, to_portal
from tests.knowledge_base.test_rules import record, temporary


def test_portal_layout_round_trips_codes_provenance_and_successors() -> None:
    procedure = record(national_codes=["1.115978", "1.115979"], fees=[temporary(57500, successor="pending")],
                       unconfirmed={"documents": "trường hợp được miễn giấy khám sức khỏe"})
    portal = to_portal(procedure)
    assert portal["ma_thu_tuc"] == "1.115978; 1.115979"
    assert portal["phi_le_phi"][0]["muc_ke_tiep"] == "pending"
    assert portal["nguon_goc"]["processing_time"]["as_read"] == {"days": 1}
    [back] = parse(render(Bundle(procedures=[procedure]), Format.portal), Format.portal).procedures
    assert back == procedure


def test_a_portal_record_with_one_code_or_none() -> None:
    portal = to_portal(record())
    for codes, expected in (("1.001193", ["1.001193"]), ("", [])):
        [back] = parse(json.dumps([{**portal, "ma_thu_tuc": codes}]), Format.portal).procedures
        assert back.national_codes == expected
