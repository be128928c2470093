"""`python -m panel_app.zoom.testing [--port P] [--rate-limit N]`: the simulator without the app."""

from __future__ import annotations

import argparse
import time

from panel_app.zoom.testing import ZoomSimulator


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - thin demo entry point
    parser = argparse.ArgumentParser(description="Zoom API simulator on 127.0.0.1 (Ctrl+C to stop).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rate-limit", type=int, default=None, help="requests per second before 429")
    args = parser.parse_args(argv)
    sim = ZoomSimulator(port=args.port, auto_create_meetings=True)
    sim.unknown_custom_questions = "ignore"  # demo meetings have no registration questions set up
    sim.set_rate_limit(args.rate_limit)
    sim.start()
    for key, value in sim.app_config().items():
        print(f"{key}={value}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
