"""The report card (目标评估报告卡): wording, writers (md, html, xlsx, json, pdf), plan sections.

* :mod:`~tanmap.layers.card.report` writes a card from audit rows;
* :mod:`~tanmap.layers.card.card_text` words it (everyday units, labels, one language per card);
* :mod:`~tanmap.layers.card.pdfcard` lays out the printable PDF with a map per spatial target;
* :mod:`~tanmap.layers.card.plan_sections` finds where each quoted clause sits in its plan.
"""

__all__: list[str] = []
