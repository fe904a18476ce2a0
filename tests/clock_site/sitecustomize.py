"""Started by every Python process whose PYTHONPATH holds this folder (tests/clock.py puts it there): moves the
process's clock to $SPYGLASS_TEST_CLOCK, ticking on, so a subprocess of a clock-moved test lives on that date."""

import os

if os.environ.get("SPYGLASS_TEST_CLOCK"):
    import time_machine

    time_machine.travel(os.environ["SPYGLASS_TEST_CLOCK"], tick=True).start()
