"""`make test-any-date`: every Python process of the test run sees the wall clock moved by RADNAC_TEST_SHIFT.

Python imports `sitecustomize` at start-up from sys.path; the target puts this folder on PYTHONPATH, so the test
process and every Python process it starts (gunicorn, the worker, flask commands) inherit the same move. The
clock keeps ticking from the moved moment (time-machine, tick=True); monotonic clocks, sleeps and timeouts are
untouched, so nothing waits a year and a half. Node processes (Azurite, the OIDC provider) are moved by Debian's
faketime (tests/clock_shift.py) and Chromium by Playwright's clock (tests/browser.py).
"""

import os

if os.environ.get("RADNAC_TEST_SHIFT"):
    from datetime import UTC, datetime, timedelta

    import time_machine

    _days = int(os.environ["RADNAC_TEST_SHIFT"].removesuffix("d"))
    time_machine.travel(datetime.now(UTC) + timedelta(days=_days), tick=True).start()
