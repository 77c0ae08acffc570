"""Regenerate the sample captures in images/ from our own corpus texts (deterministic).

Run: .venv/bin/python scripts/make-sample-images.py
Each sample is a simulated KVM screenshot or phone photo made by psod_ocr.simulate; the text
it shows is corpus/texts/<name>.txt.
"""

from __future__ import annotations

from pathlib import Path

from psod_ocr.simulate.capture import simulate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "texts"
OUT = ROOT / "images"

# (output name, corpus text, capture kind, seed, font, options)
SAMPLES = [
    ("kvm-esxi67-i40en.png", "033_esxi67_pf14_i40en", "kvm_screenshot", 11, "esxi-like",
     {"fmt": "png", "scale": (1.0, 1.0), "chrome": None, "letterbox": None, "crop": False,
      "annotate": False, "redact": 0}),
    ("kvm-viewer-esxi70-bnxtnet.jpg", "037_esxi70_pf14_bnxtnet_buildbanner", "kvm_screenshot", 5,
     "Lat15-TerminusBold16",
     {"fmt": "jpeg", "quality": 80, "scale": (1.25, 1.25), "chrome": "dark", "crop": False}),
    ("kvm-esx40-gp13.png", "010_esx40_gp13_helper", "kvm_screenshot", 3, None, {"fmt": "png", "crop": False}),
    ("photo-esxi80-hw-incompat.jpg", "046_esxi80_hw_incompat_wrapped", "phone_photo", 7, "esxi-like",
     {"size": (3000, 2250), "rotation": 0}),
    ("photo-rotated-esxi65-crashme.jpg", "030_esxi65_crashme", "phone_photo", 21, "esxi-like",
     {"size": (3000, 2250), "rotation": 90}),
]  # fmt: skip


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, text_name, kind, seed, font, options in SAMPLES:
        text = (CORPUS / f"{text_name}.txt").read_text("utf-8")
        sim = simulate(text, kind, seed=seed, font=font, **options)
        (OUT / name).write_bytes(sim.capture.image_bytes)
        print(f"{name}: {kind}, font {sim.capture.params['font']}, {len(sim.capture.image_bytes)} bytes")


if __name__ == "__main__":
    main()
