"""Irradiation climatologies (辐照气候数据): typical-year monthly GHI per city, offline.

中文：典型年逐月水平面总辐照量（及月平均气温）气候数据：随包数据或用户文件，按区县匹配城市站点，
供 ``pv_potential`` 默认使用（离线，结果写明来源）。

A climatology file is YAML::

    format: tanmap-irradiation-climatology/1
    sites:
      - key: tianjin                      # unique, [a-z0-9_]
        name: 天津                         # city (中文)
        name_en: Tianjin
        adcode_prefixes: ["1201"]         # districts it stands for (行政区划代码 prefixes)
        station: "天津 54527"              # station or grid cell
        lon: 117.07                       # degrees (WGS84 / CGCS2000)
        lat: 39.08
        monthly_ghi_kwh_m2: [12 values]   # kWh/m² per month, January first
        monthly_air_temperature_c: [12]   # optional, °C
        source: "..."                     # data set and publisher (cited on every result)
        period: "..."                     # years it describes
        verify: false                     # true: figures still to be checked ([verify])

The bundled file is ``tanmap/data/irradiation/climatology.yaml`` (provenance in
``tanmap/data/README.md``); a user file in the same format replaces it
(``pv_potential`` parameter ``climatology_file``; ``tanmap weather FILE.epw --save-climatology``
writes entries from a typical-year weather file).
"""

from __future__ import annotations

import importlib.resources
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tanmap.geo.errors import DataFormatError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tanmap.layers.raster.weather import WeatherMonthly

__all__ = [
    "BUNDLED_CLIMATOLOGY",
    "CLIMATOLOGY_FORMAT",
    "FAR_SITE_KM",
    "ClimatologyMatch",
    "IrradiationSite",
    "bundled_climatology",
    "climatology_for",
    "read_climatology",
    "site_from_weather",
    "write_climatology",
]

#: The format tag every climatology file carries.
CLIMATOLOGY_FORMAT = "tanmap-irradiation-climatology/1"
#: The bundled file, inside the package.
BUNDLED_CLIMATOLOGY = "data/irradiation/climatology.yaml"
#: A site matched by distance only (no adcode prefix) must lie within this many km.
FAR_SITE_KM = 100.0

_REQUIRED = ("key", "name", "adcode_prefixes", "station", "lon", "lat", "monthly_ghi_kwh_m2",
             "source", "period")
_OPTIONAL = ("name_en", "monthly_air_temperature_c", "verify")
_KEY = re.compile(r"^[a-z0-9_]+$")
#: How the bundled file is named in messages and on results.
_BUNDLED_NAME = "bundled climatology"


def _where(file: str) -> str:
    """Name the climatology a site came from, as a result cites it."""
    if file in ("", _BUNDLED_NAME):
        return "tanmap bundled irradiation climatology"
    return f"irradiation climatology {file}"


@dataclass(frozen=True)
class IrradiationSite:
    """One city's typical-year monthly irradiation (and temperature) with its provenance.

    中文：某城市典型年逐月辐照量及来源。
    """

    key: str
    name: str
    adcode_prefixes: tuple[str, ...]
    station: str
    lon: float
    lat: float
    monthly_ghi_kwh_m2: tuple[float, ...]
    source: str
    period: str
    name_en: str = ""
    monthly_air_temperature_c: tuple[float, ...] | None = None
    verify: bool = False
    file: str = field(default="", compare=False)

    @property
    def annual_kwh_m2(self) -> float:
        """Return the annual total (kWh/m²)."""
        return math.fsum(self.monthly_ghi_kwh_m2)

    def label(self, distance_km: float | None = None) -> str:
        """Return the source as named on a result (station, data set, period, [verify])."""
        far = "" if distance_km is None else f", {distance_km:.0f} km from the district"
        mark = " [verify]" if self.verify else ""
        return (f"{self.name} {self.station}: {self.source}, {self.period} "
                f"({_where(self.file)}{far}){mark}")


@dataclass(frozen=True)
class ClimatologyMatch:
    """A site chosen for a district: by its adcode prefix, or as the nearest within range."""

    site: IrradiationSite
    by: str  # "adcode" | "distance"
    distance_km: float


def _fail(where: str, problem: str, fix: str) -> DataFormatError:
    return DataFormatError(f"{where}: {problem} — fix: {fix}")


def _numbers(where: str, name: str, value: Any, low: float, high: float) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        out = ()
    if len(out) != 12 or not all(math.isfinite(v) and low <= v <= high for v in out):
        raise _fail(where, f"field {name} must be 12 numbers in [{low:g}, {high:g}], January "
                    f"first; got {value!r}"[:300],
                    "give one value per month" + (" in kWh/m² (MJ/m² ÷ 3.6)"
                                                  if "ghi" in name else " in °C"))
    return out


def _site(raw: Any, where: str, file: str) -> IrradiationSite:
    if not isinstance(raw, dict):
        raise _fail(where, "a site must be a mapping of fields", "see the format in "
                    "tanmap.layers.raster.climatology")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    missing = [k for k in _REQUIRED if raw.get(k) in (None, "", [])]
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(unknown)}",
                    f"use only {', '.join((*_REQUIRED, *_OPTIONAL))}")
    if missing:
        raise _fail(where, f"missing field(s) {', '.join(missing)}",
                    "every site names its station, position, twelve months, source and period")
    key = str(raw["key"])
    where = f"{where} ({key})"
    if not _KEY.match(key):
        raise _fail(where, f"key {key!r} is not [a-z0-9_]", "use e.g. tianjin or jinshi_hunan")
    prefixes = raw["adcode_prefixes"]
    prefixes = [prefixes] if isinstance(prefixes, str | int) else list(prefixes)
    prefixes = [str(p) for p in prefixes]
    if not all(re.fullmatch(r"\d{2,6}", p) for p in prefixes):
        raise _fail(where, f"adcode_prefixes {prefixes} are not 2–6 digit codes",
                    "e.g. ['1201'] for all of Tianjin's districts or ['430781'] for one")
    try:
        lon, lat = float(raw["lon"]), float(raw["lat"])
    except (TypeError, ValueError):
        lon = lat = math.nan
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _fail(where, f"lon/lat ({raw['lon']}, {raw['lat']}) are not degrees",
                    "give the station's longitude and latitude in degrees (x, y)")
    temps = raw.get("monthly_air_temperature_c")
    return IrradiationSite(
        key=key, name=str(raw["name"]), adcode_prefixes=tuple(prefixes),
        station=str(raw["station"]), lon=lon, lat=lat,
        monthly_ghi_kwh_m2=_numbers(where, "monthly_ghi_kwh_m2", raw["monthly_ghi_kwh_m2"],
                                    0.0, 400.0),
        source=str(raw["source"]), period=str(raw["period"]),
        name_en=str(raw.get("name_en") or ""),
        monthly_air_temperature_c=(None if temps is None else _numbers(
            where, "monthly_air_temperature_c", temps, -60.0, 60.0)),
        verify=bool(raw.get("verify", False)), file=file,
    )


def _parse(text: str, name: str) -> list[IrradiationSite]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise _fail(name, f"not readable YAML ({type(err).__name__})",
                    "check the indentation and quotes") from err
    if not isinstance(doc, dict) or doc.get("format") != CLIMATOLOGY_FORMAT:
        raise _fail(name, "not an irradiation climatology",
                    f"start the file with `format: {CLIMATOLOGY_FORMAT}` and a `sites:` list")
    raw_sites = doc.get("sites") or []
    if not isinstance(raw_sites, list):
        raise _fail(name, "`sites` must be a list", "write one `- key: ...` item per site")
    sites = [_site(r, f"{name} site {i}", name) for i, r in enumerate(raw_sites, start=1)]
    keys = [s.key for s in sites]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise _fail(name, f"duplicate key(s) {', '.join(dup)}", "give every site its own key")
    return sites


def read_climatology(path: str | Path) -> list[IrradiationSite]:
    """Return the sites of a climatology file (YAML, UTF-8).

    中文：读取辐照气候数据文件。

    Raises
    ------
    DataFormatError
        Missing or unreadable file, wrong format tag, or a site with an unknown or missing
        field, a wrong month count, values out of range or a duplicated key (the message names
        the file, the site and the field).
    """
    file = Path(path)
    if not file.is_file():
        raise DataFormatError(f"climatology file {file.name} not found; check the path")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise _fail(file.name, "not UTF-8 text", "save the file as UTF-8") from err
    return _parse(text, file.name)


def bundled_climatology() -> list[IrradiationSite]:
    """Return the sites shipped with tanmap (provenance: ``tanmap/data/README.md``).

    中文：随包辐照气候数据。
    """
    resource = importlib.resources.files("tanmap").joinpath(BUNDLED_CLIMATOLOGY)
    return _parse(resource.read_text(encoding="utf-8"), _BUNDLED_NAME)


def climatology_for(sites: Sequence[IrradiationSite], adcode: str, lon: float, lat: float,
                    *, max_km: float = FAR_SITE_KM) -> ClimatologyMatch | None:
    """Return the site standing for a district: longest adcode prefix, else nearest in range.

    中文：为区县选取辐照气候站点（先按行政区划代码前缀，再按距离）。

    Examples
    --------
    >>> s = IrradiationSite("tj", "天津", ("1201",), "st", 117.2, 39.1, (10.0,) * 12, "x", "y")
    >>> climatology_for([s], "120101", 117.2, 39.1).by
    'adcode'
    >>> climatology_for([s], "310101", 121.5, 31.2) is None
    True
    """
    from pyproj import Geod

    geod = Geod(ellps="WGS84")

    def km(site: IrradiationSite) -> float:
        return float(geod.inv(lon, lat, site.lon, site.lat)[2]) / 1000.0

    by_code = [(max(len(p) for p in s.adcode_prefixes if adcode.startswith(p)), s)
               for s in sites if any(adcode.startswith(p) for p in s.adcode_prefixes)]
    if by_code:
        longest = max(n for n, _ in by_code)
        best = min((s for n, s in by_code if n == longest), key=km)
        return ClimatologyMatch(best, "adcode", km(best))
    near = sorted(((km(s), s) for s in sites), key=lambda t: t[0])
    if near and near[0][0] <= max_km:
        return ClimatologyMatch(near[0][1], "distance", near[0][0])
    return None


def site_from_weather(weather: WeatherMonthly, *, key: str, name: str,
                      adcode_prefixes: Sequence[str], source: str, period: str,
                      name_en: str = "", verify: bool = False) -> IrradiationSite:
    """Return a climatology site from a typical-year weather file's monthly totals.

    中文：由典型气象年文件生成辐照气候站点条目。
    """
    return _site({
        "key": key, "name": name, "name_en": name_en,
        "adcode_prefixes": list(adcode_prefixes), "station": weather.source,
        "lon": round(weather.lon, 4), "lat": round(weather.lat, 4),
        "monthly_ghi_kwh_m2": [round(v, 2) for v in weather.monthly_ghi_kwh_m2],
        "monthly_air_temperature_c": (None if weather.monthly_air_temperature_c is None else
                                      [round(v, 2) for v in weather.monthly_air_temperature_c]),
        "source": source, "period": period, "verify": verify,
    }, f"site {key}", "")


def _leading_comments(file: Path) -> str:
    """Return the comment block at the top of an existing file (kept when it is rewritten)."""
    lines = []
    for line in file.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def write_climatology(path: str | Path, sites: Sequence[IrradiationSite]) -> Path:
    """Write ``sites`` as a climatology file (replacing a site of the same key if present).

    中文：写出辐照气候数据文件（同 key 站点被替换）。

    The comment lines at the top of an existing file (its provenance header) are kept.
    """
    file = Path(path)
    keep = [s for s in (read_climatology(file) if file.exists() else [])
            if s.key not in {n.key for n in sites}]
    header = _leading_comments(file) if file.exists() else ""
    rows = []
    for s in [*keep, *sites]:
        row: dict[str, Any] = {
            "key": s.key, "name": s.name, "name_en": s.name_en or None,
            "adcode_prefixes": list(s.adcode_prefixes), "station": s.station,
            "lon": s.lon, "lat": s.lat, "monthly_ghi_kwh_m2": list(s.monthly_ghi_kwh_m2),
            "monthly_air_temperature_c": (None if s.monthly_air_temperature_c is None
                                          else list(s.monthly_air_temperature_c)),
            "source": s.source, "period": s.period, "verify": s.verify,
        }
        rows.append({k: v for k, v in row.items() if v is not None})
    text = header + yaml.safe_dump({"format": CLIMATOLOGY_FORMAT, "sites": rows},
                                   allow_unicode=True, sort_keys=False, width=100)
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(file)
    return file
