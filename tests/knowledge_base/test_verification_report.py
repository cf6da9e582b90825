"""The verification report: each fact with our value, the figures as read, source, date read and status."""

from __future__ import annotations

import datetime as dt

from knowledge_base.verification_report import fact_rows, render_report
from tests.knowledge_base.test_rules import REGISTER, URL, record


def test_each_fact_shows_ours_beside_the_figures_read_with_source_date_and_status() -> None:
    traced = record().provenance.model_dump(exclude={"agency"})
    rows = {r.fact: r for r in fact_rows(record(provenance=traced, unconfirmed={"documents": "mẫu đơn"}))}
    time = rows["Thời hạn giải quyết"]
    assert (time.ours, time.as_read, time.read_on, time.status) == ("1 ngày làm việc", "1 ngày làm việc",
                                                                     "15/09/2026", "đã xác minh")
    assert time.source == f"[Cổng Dịch vụ công quốc gia, thủ tục 1.115978]({URL}) — Lệ phí"
    assert rows["Cơ quan thực hiện"].status == "chưa có nguồn"
    assert rows["Thành phần hồ sơ"].status == "chưa xác nhận: mẫu đơn"
    assert rows["Lệ phí: Lệ phí"].ours == "115.000 đ, 154/2025/TT-BTC" and rows["Lệ phí: Lệ phí"].as_read == "115.000 đ"


def test_the_report_lists_procedures_and_the_register() -> None:
    text = render_report([record()], REGISTER, dt.date(2026, 12, 7))
    assert text.startswith("# Báo cáo xác minh cơ sở tri thức")
    assert "Tổng cộng 1 thủ tục, 5 thông tin: 5 đã xác minh, 0 chưa có nguồn, 0 chưa xác nhận" in text
    assert "## Đổi giấy phép lái xe (`doi-bang`)" in text and "| 25/2021/TT-BTC | Thông tư phí xuất nhập cảnh |" in text
