"""The machine's own time zone and the currency that goes with it: first-run defaults for a new system.

The zone is read from /etc/localtime (a link into the zoneinfo tree, as systemd and Raspberry Pi OS set it)
or /etc/timezone. Its country comes from the tz database's zone.tab; the country's currency from ISO 4217
(the table below, one currency per country, as of 2025). No match (UTC, Etc/*) falls back to UTC and EUR.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import available_timezones

FALLBACK_ZONE, FALLBACK_CURRENCY = "UTC", "EUR"
LOCALTIME, TIMEZONE_FILE = Path("/etc/localtime"), Path("/etc/timezone")

#: ISO 3166 country -> ISO 4217 currency (the one in general use; facts from ISO 4217).
_CURRENCIES = """
AD EUR AE AED AF AFN AG XCD AI XCD AL ALL AM AMD AO AOA AR ARS AS USD AT EUR AU AUD AW AWG AX EUR AZ AZN
BA BAM BB BBD BD BDT BE EUR BF XOF BG BGN BH BHD BI BIF BJ XOF BL EUR BM BMD BN BND BO BOB BQ USD BR BRL
BS BSD BT BTN BW BWP BY BYN BZ BZD CA CAD CC AUD CD CDF CF XAF CG XAF CH CHF CI XOF CK NZD CL CLP CM XAF
CN CNY CO COP CR CRC CU CUP CV CVE CW ANG CX AUD CY EUR CZ CZK DE EUR DJ DJF DK DKK DM XCD DO DOP DZ DZD
EC USD EE EUR EG EGP EH MAD ER ERN ES EUR ET ETB FI EUR FJ FJD FK FKP FM USD FO DKK FR EUR GA XAF GB GBP
GD XCD GE GEL GF EUR GG GBP GH GHS GI GIP GL DKK GM GMD GN GNF GP EUR GQ XAF GR EUR GS GBP GT GTQ GU USD
GW XOF GY GYD HK HKD HN HNL HR EUR HT HTG HU HUF ID IDR IE EUR IL ILS IM GBP IN INR IO USD IQ IQD IR IRR
IS ISK IT EUR JE GBP JM JMD JO JOD JP JPY KE KES KG KGS KH KHR KI AUD KM KMF KN XCD KP KPW KR KRW KW KWD
KY KYD KZ KZT LA LAK LB LBP LC XCD LI CHF LK LKR LR LRD LS LSL LT EUR LU EUR LV EUR LY LYD MA MAD MC EUR
MD MDL ME EUR MF EUR MG MGA MH USD MK MKD ML XOF MM MMK MN MNT MO MOP MP USD MQ EUR MR MRU MS XCD MT EUR
MU MUR MV MVR MW MWK MX MXN MY MYR MZ MZN NA NAD NC XPF NE XOF NF AUD NG NGN NI NIO NL EUR NO NOK NP NPR
NR AUD NU NZD NZ NZD OM OMR PA PAB PE PEN PF XPF PG PGK PH PHP PK PKR PL PLN PM EUR PN NZD PR USD PS ILS
PT EUR PW USD PY PYG QA QAR RE EUR RO RON RS RSD RU RUB RW RWF SA SAR SB SBD SC SCR SD SDG SE SEK SG SGD
SH SHP SI EUR SJ NOK SK EUR SL SLE SM EUR SN XOF SO SOS SR SRD SS SSP ST STN SV USD SX ANG SY SYP SZ SZL
TC USD TD XAF TF EUR TG XOF TH THB TJ TJS TK NZD TL USD TM TMT TN TND TO TOP TR TRY TT TTD TV AUD TW TWD
TZ TZS UA UAH UG UGX UM USD US USD UY UYU UZ UZS VA EUR VC XCD VE VES VG USD VI USD VN VND VU VUV WF XPF
WS WST YE YER YT EUR ZA ZAR ZM ZMW ZW ZWL
"""
CURRENCY_OF_COUNTRY = dict(zip(_CURRENCIES.split()[::2], _CURRENCIES.split()[1::2]))
#: Every currency of the table, for the settings' choice list.
CURRENCIES = tuple(sorted(set(CURRENCY_OF_COUNTRY.values())))


def machine_timezone(localtime: Path = LOCALTIME, timezone_file: Path = TIMEZONE_FILE) -> str:
    """The IANA name of the machine's zone (/etc/localtime's link target, else /etc/timezone), else UTC."""
    known = available_timezones()
    try:
        target = os.path.realpath(localtime)
        if "/zoneinfo/" in target:
            name = target.split("/zoneinfo/", 1)[1]
            for candidate in (name, name.removeprefix("posix/").removeprefix("right/")):
                if candidate in known:
                    return "UTC" if candidate in ("Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu") else candidate
    except OSError:
        pass
    try:
        name = timezone_file.read_text().strip()
        if name in known:
            return name
    except OSError:
        pass
    return FALLBACK_ZONE


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """zone.tab: zone name -> its country code (the tz database's own table)."""
    text = ""
    for path in (Path("/usr/share/zoneinfo/zone.tab"),):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            break
    if not text:
        try:  # the tzdata wheel carries the same file
            text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return {}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                out[parts[2]] = parts[0]
    return out


def currency_for_zone(zone: str) -> str:
    """The currency of the country a time zone belongs to ('Europe/Berlin' -> 'EUR'); EUR when none."""
    country = _zone_countries().get(zone)
    return CURRENCY_OF_COUNTRY.get(country or "", FALLBACK_CURRENCY)


def machine_defaults() -> tuple[str, str]:
    """(time zone, currency) of this machine: what a first run proposes."""
    zone = machine_timezone()
    return zone, currency_for_zone(zone)
