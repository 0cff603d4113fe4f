"""The machine's time zone and its currency: what a first run proposes."""

from __future__ import annotations

from appliance.catalog import localization, systems


def test_machine_zone_from_the_localtime_link(tmp_path):
    zoneinfo = tmp_path / "usr" / "share" / "zoneinfo" / "Europe"
    zoneinfo.mkdir(parents=True)
    (zoneinfo / "Berlin").write_bytes(b"TZif")
    link = tmp_path / "localtime"
    link.symlink_to(zoneinfo / "Berlin")
    assert localization.machine_timezone(link, tmp_path / "none") == "Europe/Berlin"


def test_machine_zone_from_etc_timezone_then_utc(tmp_path):
    (tmp_path / "timezone").write_text("America/Chicago\n")
    assert localization.machine_timezone(tmp_path / "missing", tmp_path / "timezone") == "America/Chicago"
    (tmp_path / "timezone").write_text("Mars/Olympus\n")
    assert localization.machine_timezone(tmp_path / "missing", tmp_path / "timezone") == "UTC"


def test_currency_follows_the_zones_country():
    assert localization.currency_for_zone("Europe/Berlin") == "EUR"
    assert localization.currency_for_zone("Asia/Karachi") == "PKR"
    assert localization.currency_for_zone("America/Chicago") == "USD"
    assert localization.currency_for_zone("Australia/Sydney") == "AUD"
    assert localization.currency_for_zone("UTC") == localization.FALLBACK_CURRENCY


def test_a_new_system_takes_its_zones_currency(db):
    assert systems.create_system("s", "S", timezone="Europe/London")["currency"] == "GBP"
    assert systems.create_system("t", "T", timezone="Europe/London", currency="EUR")["currency"] == "EUR"
