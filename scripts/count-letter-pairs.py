"""Count the letter pairs of generated PSOD screens into psod_ocr/data/letter_pairs.json.

Run: .venv/bin/python scripts/count-letter-pairs.py
The cell recogniser's context (psod_ocr/recognise/context.py) reads them; run again after the
text generator (psod_ocr/simulate/texts.py) changes. Deterministic: same generator, same file.
"""

from __future__ import annotations

import json
from pathlib import Path

from psod_ocr.recognise.context import DATA, SAMPLE_SEED, SAMPLE_TEXTS, sample_pairs

OUT = Path(__file__).resolve().parent.parent / "psod_ocr" / DATA


def main() -> None:
    data = {"source": f"psod_ocr.simulate.texts.generate_texts({SAMPLE_TEXTS}, seed={SAMPLE_SEED})",
            "pairs": sample_pairs()}  # fmt: skip
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(f"{OUT}: {len(data['pairs'])} pairs")


if __name__ == "__main__":
    main()
