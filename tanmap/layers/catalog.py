"""Plan-target catalog (规划目标目录): schema and loader for ``tanmap/data/targets/*.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tanmap.geo.errors import CatalogError, UnknownDistrictError
from tanmap.geo.metric import params_from_mapping
from tanmap.geo.registry import METRICS

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CATALOG_DIR",
    "EDITABLE_FIELDS",
    "INDICATOR_METRIC",
    "STANDARDS_CATALOG_DIR",
    "Baseline",
    "Catalog",
    "CatalogProblem",
    "Category",
    "SitingLink",
    "Target",
    "all_catalogs",
    "apply_overrides",
    "load_catalog",
    "load_overrides",
    "normalise_plan_text",
    "override",
    "validate_catalog_params",
]

#: Where the bundled catalog files live, one ``<adcode>.yaml`` per district.
CATALOG_DIR: Path = Path(__file__).resolve().parents[1] / "data" / "targets"
#: Catalogs that apply the national standards to a district with no seed plan (the OSM demo
#: district); :func:`load_catalog` looks here after :data:`CATALOG_DIR`.
STANDARDS_CATALOG_DIR: Path = CATALOG_DIR / "standards"

#: The metric of targets with no geometry: a tracked value the user enters (跟踪指标).
INDICATOR_METRIC = "indicator"

#: Fields of a target a user may change through :func:`override` or an overrides file; the id,
#: quote, seed file and metric stay as the plan says.
EDITABLE_FIELDS: frozenset[str] = frozenset(
    {"target", "comparison", "deadline", "params", "note", "note_en", "vague", "baseline",
     "departments", "scope", "unit"}
)

# Page markers of the PDF-extracted seed plans, e.g. "— 12 —".
_PAGE_MARKER = re.compile(r"—\s*\d+\s*—")
_WHITESPACE = re.compile(r"\s+")


def normalise_plan_text(text: str) -> str:
    """Return ``text`` without whitespace and PDF page markers, for verbatim-quote matching.

    中文：规划原文规范化（去除空白与页码标记），用于核对引文。

    The seed plans are PDF extracts with line breaks and stray spaces inside sentences and page
    markers such as ``— 9 —``; the same normalisation is applied to a quote and to the plan.

    Examples
    --------
    >>> normalise_plan_text("到 2025 年,基本补齐既有 — 9 — 居住社区设施短板")
    '到2025年,基本补齐既有居住社区设施短板'
    """
    text = _WHITESPACE.sub("", text)
    # Repeat until stable: removing one marker can join the dashes of a neighbour into another.
    while (stripped := _PAGE_MARKER.sub("", text)) != text:
        text = stripped
    return text


class Category(StrEnum):
    """Policy field of a plan target.

    中文：目标类别。
    """

    GREEN_SPACE = "green_space"   # 绿地与公园
    ECOLOGY = "ecology"           # 生态与碳汇
    ENERGY = "energy"             # 能源
    PV = "pv"                     # 光伏
    HEATING = "heating"           # 供热
    TRANSPORT = "transport"       # 交通
    CHARGING = "charging"         # 充电设施
    BUILDINGS = "buildings"       # 建筑
    WASTE = "waste"               # 垃圾与资源循环
    WATER = "water"               # 供排水与海绵城市
    INDUSTRY = "industry"         # 产业
    LIGHTING = "lighting"         # 照明
    CARBON = "carbon"             # 碳排放
    OTHER = "other"               # 其他

    @property
    def zh(self) -> str:
        """Return the Chinese label."""
        return _CATEGORY_ZH[self]


_CATEGORY_ZH: dict[Category, str] = {
    Category.GREEN_SPACE: "绿地与公园",
    Category.ECOLOGY: "生态与碳汇",
    Category.ENERGY: "能源",
    Category.PV: "光伏",
    Category.HEATING: "供热",
    Category.TRANSPORT: "交通",
    Category.CHARGING: "充电设施",
    Category.BUILDINGS: "建筑",
    Category.WASTE: "垃圾与资源循环",
    Category.WATER: "供排水与海绵城市",
    Category.INDUSTRY: "产业",
    Category.LIGHTING: "照明",
    Category.CARBON: "碳排放",
    Category.OTHER: "其他",
}


class Baseline(BaseModel):
    """The plan's reference value and year (基准值与基准年), e.g. "比 2020 年下降 5%".

    ``value`` is None when the plan names the base year but not the figure; the user enters it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float | None = None
    year: int = Field(ge=1990, le=2100)


class SitingLink(BaseModel):
    """The where-to-build question a target asks (选址问题), for ``tanmap site --target ID``.

    中文：目标对应的选址问题（设施类型、模型、需求口径）。

    The figures come from the target itself (:func:`tanmap.layers.siting.target_question`):
    ``set_cover`` reaches the target share within the radius of ``params.radius_m`` (else the
    kind's default) in ``params.zone_type``; ``per_unit`` puts ``params.min_count`` in each
    unit; ``max_cover`` sites ``count`` new facilities, by default the target's shortfall
    (target minus what is built). ``fields`` are set on the saved sites so the target's own
    filter (e.g. ``garden_type``) counts them; by default the target's ``field``/``values``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(pattern=r"^[a-z_]+$")
    model: Literal["set_cover", "max_cover", "per_unit"]
    count: int | None = Field(default=None, ge=1, le=500)
    radius_m: float | None = Field(default=None, gt=0, le=10_000)
    demand: Literal["land", "area", "buildings", "population"] = "land"
    fields: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_kind(self) -> SitingLink:
        from tanmap.layers.kinds import SITING_KINDS

        if self.kind not in SITING_KINDS:
            raise ValueError(f"siting.kind {self.kind!r} cannot be sited; use one of "
                             f"{', '.join(SITING_KINDS)}")
        return self


class Target(BaseModel):
    """One quantitative target of a plan, with the metric that evaluates it.

    中文：规划目标条目（指标、参数、目标值、期限、责任单位、原文引文）。

    ``target`` is None when the plan leaves the figure to a higher level ("完成市下达指标"); the
    user enters it through :func:`override`. Shares are 0–1 (``unit: share``). ``note`` is in
    Chinese and ``note_en`` in English (each card shows only its own language); ``section`` and
    ``section_en`` place the quote in the plan (derived from the seed by
    ``scripts/catalog_sections.py``, see :func:`tanmap.layers.card.plan_sections.section_of`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^\d{6}-[A-Z]{1,3}\d{2}$")
    adcode: str = Field(pattern=r"^\d{6}$")
    category: Category
    title_zh: str = Field(min_length=2)
    title_en: str = Field(min_length=2)
    metric: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    params: dict[str, Any] = Field(default_factory=dict)
    comparison: Literal[">=", ">", "<=", "<", "=="]
    target: float | None
    unit: str = Field(min_length=1)
    baseline: Baseline | None = None
    deadline: int | None = Field(default=None, ge=2000, le=2100)
    departments: list[str] = Field(default_factory=list)
    seed_file: str = Field(min_length=1)
    quote: str = Field(min_length=4)
    spatial: bool
    vague: bool = False
    note: str | None = None
    note_en: str | None = None
    section: str = ""
    section_en: str = ""
    scope: Literal["district", "subdistrict", "community"] = "district"
    overridden: bool = False
    siting: SitingLink | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        problems = []
        if not self.id.startswith(f"{self.adcode}-"):
            problems.append(f"id {self.id!r} must start with the adcode {self.adcode!r}")
        if self.vague and not self.note:
            problems.append("vague=true needs a note saying which value was chosen and why")
        if self.target is None and not self.note:
            problems.append("target=null needs a note saying who sets the value")
        if self.unit == "share" and self.target is not None and not 0 <= self.target <= 1:
            problems.append(f"unit 'share' needs a target in [0, 1], got {self.target}; "
                            "write 60% as 0.6")
        is_indicator = self.metric == INDICATOR_METRIC
        if is_indicator and "key" not in self.params:
            problems.append("metric 'indicator' needs params.key (the tracked value's name)")
        if is_indicator == self.spatial:
            problems.append(
                f"spatial={self.spatial} does not fit metric {self.metric!r}: indicator "
                "entries are non-spatial, every other metric is spatial"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Catalog(BaseModel):
    """The plan-target catalog of one district plan (one YAML file).

    中文：区县规划目标目录。
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    adcode: str = Field(pattern=r"^\d{6}$")
    district_zh: str
    district_en: str
    plan_title: str
    plan_title_en: str = ""
    plan_year: int = Field(ge=2000, le=2100)
    seed_file: str
    targets: list[Target]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        problems = []
        seen: set[str] = set()
        for t in self.targets:
            if t.id in seen:
                problems.append(f"duplicate target id {t.id!r}")
            seen.add(t.id)
            if t.adcode != self.adcode:
                problems.append(f"{t.id}: adcode {t.adcode!r} differs from the file's "
                                f"{self.adcode!r}")
            if t.seed_file != self.seed_file:
                problems.append(f"{t.id}: seed_file {t.seed_file!r} differs from the file's "
                                f"{self.seed_file!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def get(self, target_id: str) -> Target:
        """Return the target ``target_id``.

        Raises
        ------
        KeyError
            If the catalog has no such target; the message names the catalog.
        """
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"no target {target_id!r} in the catalog of {self.adcode} "
                       f"({self.district_zh}); ids look like '{self.adcode}-G01'")


@dataclass(frozen=True)
class CatalogProblem:
    """One problem found in a catalog: which target, which field, what is wrong."""

    target_id: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.target_id}: {self.field}: {self.problem}"


def _param_problems(target: Target, *, require_registered: bool) -> list[CatalogProblem]:
    mdef = METRICS.get(target.metric)
    if mdef is None:
        if not require_registered:
            return []
        known = ", ".join(sorted(METRICS)) or "(none registered yet)"
        return [CatalogProblem(target.id, "metric",
                               f"metric {target.metric!r} is not registered; known: {known}")]
    try:
        params_from_mapping(mdef.params, target.params)
    except (TypeError, ValueError) as err:
        return [CatalogProblem(target.id, "params", str(err))]
    return []


def validate_catalog_params(
    catalog: Catalog, *, require_registered: bool = True
) -> list[CatalogProblem]:
    """Return every problem with the metrics and parameters named by ``catalog``.

    中文：校验目录中各目标的指标名称与参数。

    Parameters
    ----------
    catalog
        A loaded catalog.
    require_registered
        Report a metric missing from ``tanmap.geo.registry.METRICS`` as a problem. When False,
        only the parameters of registered metrics are checked (the loader's mode, so a catalog
        loads while metric modules are still being added).

    Returns
    -------
    list of CatalogProblem
        Empty when every metric exists and its parameters build its parameter dataclass.
    """
    problems: list[CatalogProblem] = []
    for t in catalog.targets:
        problems.extend(_param_problems(t, require_registered=require_registered))
    return problems


def _validation_problems(err: ValidationError) -> list[CatalogProblem]:
    out = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        out.append(CatalogProblem("/".join(loc[:2]) or "(file)", ".".join(loc[2:]) or "(entry)",
                                  e["msg"]))
    return out


def _read_yaml(path: Path) -> Any:
    try:
        # libyaml's loader when built in: the same safe loader, ~10x faster (every audit reads it)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as err:
        raise CatalogError(str(path), [CatalogProblem("(file)", "(yaml)", str(err))]) from err


def load_catalog(
    adcode: str,
    *,
    directory: str | Path | None = None,
    overrides: str | Path | Mapping[str, Mapping[str, Any]] | None = None,
) -> Catalog:
    """Load and validate the catalog of district ``adcode``.

    中文：读取并校验区县规划目标目录。

    Parameters
    ----------
    adcode
        District code (行政区划代码), e.g. ``"120101"``.
    directory
        Folder holding ``<adcode>.yaml``; defaults to the bundled :data:`CATALOG_DIR`.
    overrides
        Optional edits to apply: a path to an overrides YAML (see :func:`load_overrides`) or the
        mapping it holds (target id -> changed fields).

    Raises
    ------
    UnknownDistrictError
        If there is no catalog file for ``adcode``; the message lists the available ones.
    CatalogError
        If the file or an override breaks the schema or gives a registered metric bad
        parameters; ``issues`` lists every problem.
    """
    folder = Path(directory) if directory is not None else CATALOG_DIR
    path = folder / f"{adcode}.yaml"
    if directory is None and not path.is_file():
        path = STANDARDS_CATALOG_DIR / f"{adcode}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "(none)"
        raise UnknownDistrictError(
            f"no plan-target catalog for district {adcode!r} in {folder}; available: {known}. "
            "Add <adcode>.yaml there (copy an existing file as a template)."
        )
    try:
        catalog = Catalog.model_validate(_read_yaml(path))
    except ValidationError as err:
        raise CatalogError(str(path), _validation_problems(err)) from err
    problems = validate_catalog_params(catalog, require_registered=False)
    if problems:
        raise CatalogError(str(path), problems)
    if overrides is not None:
        edits = load_overrides(overrides) if isinstance(overrides, str | Path) else overrides
        catalog = apply_overrides(catalog, edits)
    return catalog


def all_catalogs(directory: str | Path | None = None) -> dict[str, Catalog]:
    """Load every catalog in ``directory`` (default: the bundled ones), keyed by adcode.

    中文：读取全部区县的规划目标目录。

    Raises
    ------
    CatalogError
        If any file is invalid (see :func:`load_catalog`).
    """
    folder = Path(directory) if directory is not None else CATALOG_DIR
    return {p.stem: load_catalog(p.stem, directory=folder) for p in sorted(folder.glob("*.yaml"))}


def override(target: Target, /, **changes: Any) -> Target:
    """Return a copy of ``target`` with editable fields changed and re-validated.

    中文：修改目标阈值等可编辑设置（如“基本实现全覆盖”所取的数值）。

    ``params`` are merged into the existing parameters (give only those that change). The copy
    carries ``overridden=True`` so cards can mark edited thresholds.

    Raises
    ------
    CatalogError
        If a field is not editable (see :data:`EDITABLE_FIELDS`), or the result breaks the
        schema, or a registered metric rejects the parameters.

    Examples
    --------
    >>> t = Target(id="310101-G02", adcode="310101", category="green_space",
    ...            title_zh="公园绿地服务半径覆盖率", title_en="Park coverage",
    ...            metric="indicator", params={"key": "k"}, comparison=">=", target=0.9,
    ...            unit="share", seed_file="s.txt", quote="基本实现全覆盖", spatial=False,
    ...            vague=True, note="0.9 chosen for 基本实现全覆盖")
    >>> override(t, target=0.95).target
    0.95
    """
    what = f"override of {target.id}"
    bad = sorted(set(changes) - EDITABLE_FIELDS)
    if bad:
        raise CatalogError(what, [CatalogProblem(
            target.id, ", ".join(bad),
            f"not editable; editable fields: {', '.join(sorted(EDITABLE_FIELDS))}")])
    data = target.model_dump()
    if "params" in changes:
        data["params"] = {**target.params, **dict(changes.pop("params") or {})}
    data.update(changes)
    data["overridden"] = True
    try:
        edited = Target.model_validate(data)
    except ValidationError as err:
        raise CatalogError(what, [CatalogProblem(target.id, ".".join(map(str, e["loc"])) or
                                                 "(entry)", e["msg"]) for e in err.errors()]
                           ) from err
    problems = _param_problems(edited, require_registered=False)
    if problems:
        raise CatalogError(what, problems)
    return edited


def load_overrides(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read an overrides YAML: ``targets: {<target id>: {<field>: <value>, ...}, ...}``.

    中文：读取目标阈值修改文件。

    Example file::

        targets:
          310101-G02: {target: 0.95, note: "区绿化市容局按 95% 掌握"}
          120101-H01: {params: {age_threshold_years: 20}}

    Raises
    ------
    CatalogError
        If the file is not YAML or not of that shape.
    """
    p = Path(path)
    data = _read_yaml(p)
    entries = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
        raise CatalogError(str(p), [CatalogProblem(
            "(file)", "targets",
            "expected a mapping 'targets: {<target id>: {<field>: <value>}}'")])
    return {str(k): dict(v) for k, v in entries.items()}


def apply_overrides(catalog: Catalog, overrides: Mapping[str, Mapping[str, Any]]) -> Catalog:
    """Return ``catalog`` with ``overrides`` (target id -> changed fields) applied.

    中文：将阈值修改应用到目录。

    Overrides for targets of other districts are ignored, so one file may serve a whole
    project; ids of this district that do not exist are errors.

    Raises
    ------
    CatalogError
        Listing every unknown id of this district and every rejected change.
    """
    problems: list[CatalogProblem] = []
    ours = {k: v for k, v in overrides.items() if k.startswith(f"{catalog.adcode}-")}
    known = {t.id for t in catalog.targets}
    for k in sorted(set(ours) - known):
        problems.append(CatalogProblem(k, "id", f"no such target in {catalog.adcode} "
                                                f"({catalog.district_zh})"))
    targets = []
    for t in catalog.targets:
        if t.id in ours:
            try:
                t = override(t, **dict(ours[t.id]))
            except CatalogError as err:
                problems.extend(err.issues)
        targets.append(t)
    if problems:
        raise CatalogError(f"overrides for {catalog.adcode}", problems)
    return catalog.model_copy(update={"targets": targets})
