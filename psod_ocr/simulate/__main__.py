"""Eyeball the simulator: render a PSOD text file and write one simulated capture.

    python -m psod_ocr.simulate --text FILE --kind phone_photo --seed 3 --out x.jpg

Writes the capture bytes as produced (EXIF tag and all) and prints the parameters and the quad
as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .capture import simulate
from .fonts import FontNotInstalledError, available_fonts


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, simulate one capture, write it; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m psod_ocr.simulate", description=__doc__)
    parser.add_argument("--text", type=Path, required=True, help="PSOD text file ('-' = stdin)")
    parser.add_argument("--kind", choices=["phone_photo", "kvm_screenshot", "render"],
                        default="phone_photo", help="'render' writes the clean framebuffer PNG")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--severity", choices=["mild", "hard"], default="mild")
    parser.add_argument("--font", help=f"one of {', '.join(available_fonts())}")
    parser.add_argument("--layout", choices=["esxi", "esx_text"])
    parser.add_argument("--size", help="photo size WxH, e.g. 1600x1200")
    parser.add_argument("--rotation", type=int, choices=[0, 90, 180, 270])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    text = sys.stdin.read() if str(args.text) == "-" else args.text.read_text(encoding="utf-8")
    options: dict = {}
    if args.kind == "phone_photo":
        if args.size:
            width, height = (int(v) for v in args.size.lower().split("x"))
            options["size"] = (width, height)
        if args.rotation is not None:
            options["rotation"] = args.rotation
    kind = "kvm_screenshot" if args.kind == "render" else args.kind
    try:
        result = simulate(text, kind, args.seed, font=args.font, layout=args.layout,
                          severity=args.severity, **options)
    except FontNotInstalledError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.kind == "render":
        from PIL import Image

        Image.fromarray(result.screen.image).save(args.out)
        info = {"font": result.screen.font, "cut_rows": result.screen.cut_rows}
    else:
        args.out.write_bytes(result.capture.image_bytes)
        info = {**result.capture.params, "format": result.capture.format,
                "quad": result.capture.quad.round(2).tolist()}
    print(json.dumps(info, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
