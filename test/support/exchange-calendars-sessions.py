"""Prints the sessions of exchange_calendars' XNYS, XNAS and 24/7 as JSON: the reference the
calendar test compares ours with. Usage: python3 exchange-calendars-sessions.py 2000-01-01 2030-12-31"""
import json
import sys

import exchange_calendars as xc

start, end = sys.argv[1], sys.argv[2]
out = {"version": xc.__version__, "calendars": {}}
for name in ("XNYS", "XNAS", "24/7"):
    schedule = xc.get_calendar(name, start=start, end=end).schedule
    out["calendars"][name] = [
        [label.strftime("%Y-%m-%d"), row.open.strftime("%Y-%m-%dT%H:%M:%SZ"), row.close.strftime("%Y-%m-%dT%H:%M:%SZ")]
        for label, row in schedule.iterrows()
    ]
json.dump(out, sys.stdout)
