"""`matcher import`: every file of the contract, and every kind of bad input, on each database."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from sqlalchemy import func, select

from matcher.ingest import ImportFailed, import_file
from matcher.store.tables import (
    AuditEntry,
    Client,
    FollowUp,
    Option,
    OptionTrade,
    Placement,
    Provider,
    ProviderAlias,
)
from tests.importing.helpers import GOOD, contract_columns, snapshot, write_csv

TODAY = date(2026, 11, 23)


def load(engine, tmp_path, kinds=("providers", "options", "clients", "placements", "followups")):
    for kind in kinds:
        path = write_csv(tmp_path / f"{kind}.csv", GOOD[kind])
        import_file(engine, kind, path, today=TODAY)


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def fails(engine, kind, path, **kwargs) -> ImportFailed:
    before = snapshot(engine)
    with pytest.raises(ImportFailed) as info:
        import_file(engine, kind, path, today=TODAY, **kwargs)
    assert snapshot(engine) == before, "a failed import changed the database"
    return info.value


def test_every_contract_file_imports(engine, tmp_path):
    load(engine, tmp_path)
    assert count(engine, Provider) == 3
    assert count(engine, Option) == 3
    assert count(engine, Client) == 2
    assert count(engine, Placement) == 2
    assert count(engine, FollowUp) == 1
    with engine.connect() as conn:
        op1 = conn.execute(select(Option).where(Option.option_id == "OP1")).one()
        assert op1.cost_vnd == 3_000_000 and op1.accepts_records is True
        assert op1.sign_language is True and op1.start_date == date(2026, 12, 1)
        trades = conn.execute(select(OptionTrade.trade_id).where(OptionTrade.option_id == "OP2")
                              .order_by(OptionTrade.position)).scalars().all()
        assert len(trades) == 2
        kh2 = conn.execute(select(Client).where(Client.client_id == "KH2")).one()
        assert kh2.gender == "male" and kh2.max_travel_km == 25.5
        assert kh2.prior_income_vnd_month == 2_500_000 and kh2.disability == "none"
        assert kh2.full_name == "Trần Văn Bình"  # diacritics kept
        pl2 = conn.execute(select(Placement).where(Placement.placement_id == "PL2")).one()
        assert pl2.success is None and pl2.status == "ongoing"
        audit = conn.execute(select(AuditEntry.entity, AuditEntry.detail)).all()
    assert [a.entity for a in audit] == ["providers", "options", "clients", "placements",
                                         "followups"]
    # The audit log holds counts and a checksum, never a field value.
    assert "Nguyễn" not in repr(audit) and "youth_at_risk" not in repr(audit)


def test_places_resolve_to_current_units(engine, tmp_path):
    from matcher.vocab.places import load_place_index

    load(engine, tmp_path, ("providers",))
    index = load_place_index()
    with engine.connect() as conn:
        places = dict(conn.execute(select(Provider.provider_id, Provider.place_id)).all())
    for pid, place_id in places.items():
        assert index.get(place_id).status == "current", pid
    # "Cao Xanh" was a ward of Hạ Long: it now lies in a current unit, not in a former one.
    assert places["TR2"] == index.resolve("P. Cao Xanh").place_id


def test_xlsx_and_semicolon_csv_and_bom(engine, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    columns = list(GOOD["providers"][0])
    sheet.append(columns)
    for row in GOOD["providers"]:
        sheet.append([row[c] for c in columns])
    book.save(tmp_path / "providers.xlsx")
    assert import_file(engine, "providers", tmp_path / "providers.xlsx", today=TODAY).created == 3

    opts = write_csv(tmp_path / "options.csv", GOOD["options"], delimiter=";",
                     encoding="utf-8-sig")
    assert opts.read_bytes().startswith(b"\xef\xbb\xbf")
    assert import_file(engine, "options", opts, today=TODAY).created == 3


@pytest.mark.parametrize(
    ("kind", "change", "row", "column", "words"),
    [
        ("clients", {"birth_date": "2031-01-01"}, 3, "birth_date", "future"),
        ("clients", {"birth_date": "31/01/2001"}, 3, "birth_date", "YYYY-MM-DD"),
        ("clients", {"gender": "unknown"}, 3, "gender", "female, male, other"),
        ("clients", {"group": "criminal"}, 3, "group", "youth_at_risk"),
        ("clients", {"place": "Hà Nội"}, 3, "place", "unknown place"),
        ("clients", {"max_travel_km": "far"}, 3, "max_travel_km", "not a number"),
        ("clients", {"consent_share": "maybe"}, 3, "consent_share", "có/không"),
        ("clients", {"client_id": ""}, 3, "client_id", "required value is empty"),
        ("options", {"capacity": "-2"}, 4, "capacity", "negative"),
        ("options", {"capacity": "ba"}, 4, "capacity", "whole number"),
        ("options", {"trades": "lái máy bay vũ trụ"}, 4, "trades", "unknown trade"),
        ("options", {"provider_id": "NOPE"}, 4, "provider_id", "unknown provider"),
        ("options", {"min_age": "40"}, 3, "max_age", "below min_age"),
        ("placements", {"client_id": "KH999"}, 3, "client_id", "unknown client"),
        ("placements", {"option_id": "OP999"}, 3, "option_id", "unknown option"),
        ("placements", {"status": "dropped", "success": "1"}, 3, "success", "dropped"),
    ],
)
def test_bad_value_names_row_and_column(engine, tmp_path, kind, change, row, column, words):
    prior = {"options": ("providers",), "clients": ("providers", "options"),
             "placements": ("providers", "options", "clients")}[kind]
    load(engine, tmp_path, prior)
    rows = [dict(r) for r in GOOD[kind]]
    rows[row - 2].update(change)
    error = fails(engine, kind, write_csv(tmp_path / f"bad_{kind}.csv", rows))
    problem = next(p for p in error.problems if p.column == column)
    assert problem.row == row and words in problem.message, error.render()
    assert f"row {row}, column {column}" in error.render()


def test_unknown_place_and_trade_name_closest_candidates(engine, tmp_path):
    load(engine, tmp_path, ("providers",))
    rows = [dict(r) for r in GOOD["options"]]
    rows[0]["place"] = "Hong Gaii xyz"
    rows[1]["trades"] = "cắt tóc;sua xe mayy ô tô bay"
    error = fails(engine, "options", write_csv(tmp_path / "o.csv", rows))
    rendered = error.render()
    assert "row 2, column place" in rendered and "closest:" in rendered
    assert "row 3, column trades" in rendered and "closest:" in rendered


def test_missing_and_extra_columns(engine, tmp_path):
    columns = [c for c in contract_columns("clients") if c != "birth_date"] + ["ghi_chu"]
    error = fails(engine, "clients", write_csv(tmp_path / "c.csv", GOOD["clients"],
                                               columns=columns))
    rendered = error.render()
    assert "row 1, column birth_date: required column is missing" in rendered
    assert "row 1, column ghi_chu: not a column of clients files" in rendered


def test_too_many_values_in_a_row(engine, tmp_path):
    path = write_csv(tmp_path / "p.csv", GOOD["providers"])
    path.write_text(path.read_text(encoding="utf-8") + "TR9,Tên,trainer,Hồng Gai,,surplus\n",
                    encoding="utf-8")
    error = fails(engine, "providers", path)
    assert error.problems[0].row == 5 and "header has 5 columns" in error.problems[0].message


def test_duplicate_ids_in_file_and_in_database(engine, tmp_path):
    load(engine, tmp_path, ("providers", "options"))
    rows = [dict(r) for r in GOOD["clients"]]
    rows[1]["client_id"] = "KH1"
    error = fails(engine, "clients", write_csv(tmp_path / "c.csv", rows))
    assert "row 3, column client_id: duplicate id KH1 (first at row 2)" in error.render()

    import_file(engine, "clients", write_csv(tmp_path / "ok.csv", GOOD["clients"]), today=TODAY)
    error = fails(engine, "clients", write_csv(tmp_path / "again.csv", GOOD["clients"][:1]))
    assert "KH1 already exists in the database" in error.render()


def test_one_bad_row_among_many_writes_nothing(engine, tmp_path):
    load(engine, tmp_path, ("providers", "options"))
    template = GOOD["clients"][0]
    rows = [dict(template, client_id=f"KH{i:04d}") for i in range(300)]
    rows[250]["birth_date"] = "2099-01-01"
    error = fails(engine, "clients", write_csv(tmp_path / "c.csv", rows))
    assert [p.row for p in error.problems] == [252]
    assert count(engine, Client) == 0


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Excel writes it: base letters precomposed, tone marks combining."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            out += unicodedata.normalize("NFC", parts[:-1]).encode("cp1258")
            out += parts[-1].encode("cp1258")
    return bytes(out)


def test_windows_1258_is_refused_clearly_then_read_on_request(engine, tmp_path):
    utf8 = write_csv(tmp_path / "utf8.csv", GOOD["providers"][:1])
    path = tmp_path / "p.csv"
    path.write_bytes(to_cp1258(utf8.read_text(encoding="utf-8")))
    error = fails(engine, "providers", path)
    assert "not UTF-8" in error.render() and "--encoding cp1258" in error.render()
    import_file(engine, "providers", path, encoding="cp1258", today=TODAY)
    with engine.connect() as conn:
        assert conn.scalar(select(Provider.name)) == "Cơ sở May Hồng Hà"


def test_empty_and_header_only_files(engine, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in fails(engine, "clients", empty).render()
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(contract_columns("clients")) + "\n", encoding="utf-8")
    assert "no records" in fails(engine, "clients", header_only).render()


def test_oversized_file_is_refused_before_reading(engine, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.write((",".join(contract_columns("clients")) + "\n").encode())
        fh.truncate(50 * 1024 * 1024)
    error = fails(engine, "clients", big)
    assert "52.4 MB" in error.render() and "limit is 20 MB" in error.render()


def test_unknown_kind(engine, tmp_path):
    path = write_csv(tmp_path / "p.csv", GOOD["providers"])
    assert "unknown kind" in fails(engine, "people", path).render()


def test_provider_under_another_spelling_is_merged(engine, tmp_path):
    load(engine, tmp_path, ("providers",))
    again = [{"provider_id": "TR1-B", "name": "co so may Hong Ha", "kind": "trainer",
              "place": "Hong Gai", "phone": ""},
             {"provider_id": "TR3", "name": "Xưởng sửa xe máy Minh Tuấn", "kind": "trainer",
              "place": "Hồng Gai", "phone": ""}]
    result = import_file(engine, "providers", write_csv(tmp_path / "p2.csv", again), today=TODAY)
    assert result.merged == [("TR1-B", "TR1")] and result.created == 1
    option = dict(GOOD["options"][0], option_id="OP9", provider_id="TR1-B")
    import_file(engine, "options", write_csv(tmp_path / "o2.csv", [option]), today=TODAY)
    with engine.connect() as conn:
        assert conn.scalar(select(Option.provider_id).where(Option.option_id == "OP9")) == "TR1"
        assert conn.scalar(select(func.count()).select_from(ProviderAlias)) == 1
    # The same registry sent again changes nothing and is not an error.
    repeat = import_file(engine, "providers", write_csv(tmp_path / "p3.csv", GOOD["providers"]),
                         today=TODAY)
    assert repeat.created == 0 and repeat.updated == 3


def test_same_provider_id_with_another_name_is_an_error(engine, tmp_path):
    load(engine, tmp_path, ("providers",))
    rows = [dict(GOOD["providers"][0], name="Nhà hàng Biển Đông")]
    error = fails(engine, "providers", write_csv(tmp_path / "p.csv", rows))
    assert "row 2, column provider_id" in error.render()


def test_only_the_same_name_of_the_same_kind_and_place_is_the_same_provider():
    from matcher.ingest.provider_merge import KnownProvider, same_provider

    known = [KnownProvider("B", "May Hồng Hải", "trainer", "p1"),
             KnownProvider("A", "Cơ sở May Hồng Hà", "trainer", "p1"),
             KnownProvider("C", "May Hồng Hà", "employer", "p1"),
             KnownProvider("D", "CS May Hồng Hà", "trainer", "p2")]

    def same(name: str, kind: str, place: str, phone: str | None = None):
        found = same_provider(KnownProvider("NEW", name, kind, place, phone), known)
        return found.provider_id if found else None

    assert same("Công ty TNHH May Hồng Hà", "trainer", "p1") == "A"  # legal forms set aside
    assert same("co so may hong ha", "employer", "p1") == "C"  # typed without diacritics
    assert same("May Hồng Hà", "trainer", "p3") is None  # another place
    assert same("May Hồng Hai", "trainer", "p1") is None  # "Hải" typed "Hai": not the same
    assert same("Sửa xe Minh Khôi", "trainer", "p1") is None
