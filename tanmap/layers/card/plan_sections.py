"""Where a clause sits in its plan (章节定位): the chapter, section, item and box of a quote."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tanmap.layers.catalog import normalise_plan_text

__all__ = ["HEADING_SUFFIXES", "PlanSection", "section_of"]

#: Words a heading of the seed plans ends with (the extracts run headings into the body text, so
#: a heading is cut after the first of these, or at the first punctuation mark).
HEADING_SUFFIXES: tuple[str, ...] = (
    "协同增效行动", "协同增效", "行动", "工程", "协同", "领域", "时期目标", "时期", "要求", "目标",
    "任务", "措施", "机制", "思想", "原则", "实施", "项目", "政策", "体系", "能力", "建设", "保障",
    "合作", "考核", "引导", "试点", "改造", "转型", "发展", "利用", "管理", "出行", "效率",
)

_NUMERALS = "一二三四五六七八九十"
# A part heading follows a sentence end or a closing bracket ("统一、智能高效" is not one).
_CHAPTER = re.compile(rf"(?<![\u4e00-\u9fff\d“”,，、])([{_NUMERALS}]{{1,3}})、")
_SECTION = re.compile(rf"[(（]([{_NUMERALS}]{{1,3}})[)）]")
_ITEM = re.compile(r"(?<![\d.．])(\d{1,2})[.．](?=[\u4e00-\u9fff])")
_BOX = re.compile(r"专栏(\d{1,2})")
_PUNCT = re.compile(r"[。，,；;：:(（—]|\d[.．]|专栏")
_FOLLOWED_BY_ITEM = re.compile(r"[^。，,；;：:(（]{0,16}?1[.．][\u4e00-\u9fff]")
_MAX_TITLE = 12
_MAX_SENTENCE_TITLE = 24


@dataclass(frozen=True)
class PlanSection:
    """A clause's place in its plan.

    中文：条款所在章节。

    Parameters
    ----------
    zh
        Headings as printed, e.g.
        ``"三、重点任务 › (三)低碳城区建设碳达峰行动 › 4.推进市政交通基础设施绿色改造"``.
    en
        The same place by numbers, e.g. ``"Part 3 › section (3) › item 4"``.
    """

    zh: str
    en: str


def _numeral(text: str) -> int:
    """Return the value of a Chinese numeral up to 99 (一 → 1, 十二 → 12, 二十 → 20)."""
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_NUMERALS.index(tens) + 1 if tens else 1) * 10 + (
            _NUMERALS.index(ones) + 1 if ones else 0)
    return _NUMERALS.index(text) + 1


def _title(text: str, start: int) -> str:
    """Return the heading that starts at ``start``.

    A heading closed by "。" within :data:`_MAX_SENTENCE_TITLE` characters is taken whole;
    otherwise it ends after the last heading word (:data:`HEADING_SUFFIXES`) in its first
    :data:`_MAX_TITLE` characters, or at the first punctuation mark.
    """
    window = text[start:start + _MAX_SENTENCE_TITLE + 1]
    stop = _PUNCT.search(window)
    if stop is not None and window[stop.start()] == "。":
        return window[:stop.start()]
    if stop is not None:
        window = window[:stop.start()]
    window = window[:_MAX_TITLE]
    best = max((window.rfind(suffix, 2) + len(suffix) for suffix in HEADING_SUFFIXES
                if window.rfind(suffix, 2) >= 0), default=None)
    return window[:best] if best is not None else window


def _last(pattern: re.Pattern[str], text: str, start: int, end: int) -> re.Match[str] | None:
    found = None
    for m in pattern.finditer(text, start, end):
        found = m
    return found


def section_of(plan_text: str, quote: str) -> PlanSection | None:
    """Return the chapter, section, item and box (专栏) holding ``quote`` in ``plan_text``.

    中文：定位引文所在的章、节、条及专栏。

    Both texts are normalised (:func:`~tanmap.layers.catalog.normalise_plan_text`). Headings
    are the numbering of Chinese policy documents: 一、 (part), (一) (section), 1. (item) and
    专栏N (box, whose own items are (一)...). None when the quote is not in the plan.

    Examples
    --------
    >>> plan = ("一、总体要求(一)指导思想坚持。二、重点任务(一)低碳城区建设行动"
    ...         "1.推进绿色改造。到2025年,建成区50%以上面积达到要求。"
    ...         "专栏3城区绿色更新工程(一)加快推进城市更新。推进8片老旧小区改造。")
    >>> s = section_of(plan, "建成区 50%以上面积")
    >>> s.zh, s.en
    ('二、重点任务 › (一)低碳城区建设行动 › 1.推进绿色改造', 'Part 2 › section (1) › item 1')
    >>> section_of(plan, "推进8片老旧小区改造").en
    'Part 2 › section (1) › box 3 › (1)'
    >>> section_of(plan, "不在方案中") is None
    True
    """
    text = normalise_plan_text(plan_text)
    needle = normalise_plan_text(quote)
    found = [m.start() for m in re.finditer(re.escape(needle), text)] if needle else []
    if not found:
        return None
    # A plan may open with a summary repeating its targets: prefer a place inside a part.
    pos = next((p for p in found if _CHAPTER.search(text, 0, p)), found[0])
    zh: list[str] = []
    en: list[str] = []
    chapter = _last(_CHAPTER, text, 0, pos)
    floor = 0
    if chapter is not None:
        zh.append(f"{chapter.group(1)}、{_title(text, chapter.end())}")
        en.append(f"Part {_numeral(chapter.group(1))}")
        floor = chapter.end()
    # Entries of a box (专栏) run (一), (二)... right after its title, or 1., 2.; a main-text
    # section heading breaks that run or is followed by its first item ("(三)...行动1.推进").
    section = None
    box_start, expected = -1, 1
    for m in _SECTION.finditer(text, floor, pos):
        box = _last(_BOX, text, floor, m.start())
        if box is not None and (section is None or box.start() > section.start()):
            if box.start() != box_start:
                box_start, expected = box.start(), 1
            followed_by_item = _FOLLOWED_BY_ITEM.match(text, m.end()) is not None
            if _numeral(m.group(1)) == expected and not followed_by_item:
                expected += 1
                continue
        section = m
    box = _last(_BOX, text, floor, pos)
    if box is not None and section is not None and box.start() < section.start():
        box = None
    if box is not None:
        items = list(_ITEM.finditer(text, box.end(), pos))
        if items and items[0].group(1) != "1":
            box = None  # the main text resumed after the box (its items do not restart at 1)
    if section is not None:
        zh.append(f"({section.group(1)}){_title(text, section.end())}")
        en.append(f"section ({_numeral(section.group(1))})")
    if box is not None:
        zh.append(f"专栏{box.group(1)} {_title(text, box.end())}")
        en.append(f"box {box.group(1)}")
        entries = [m for m in (_last(_SECTION, text, box.end(), pos),
                               _last(_ITEM, text, box.end(), pos)) if m is not None]
        if entries:
            entry = max(entries, key=lambda m: m.start())
            if entry.re is _SECTION:
                zh.append(f"({entry.group(1)}){_title(text, entry.end())}")
                en.append(f"({_numeral(entry.group(1))})")
            else:
                zh.append(f"{entry.group(1)}.{_title(text, entry.end())}")
                en.append(f"item {entry.group(1)}")
    else:
        item = _last(_ITEM, text, section.end() if section else floor, pos)
        if item is not None:
            zh.append(f"{item.group(1)}.{_title(text, item.end())}")
            en.append(f"item {item.group(1)}")
    if not zh:
        return PlanSection("正文", "main text")
    return PlanSection(" › ".join(zh), " › ".join(en))
