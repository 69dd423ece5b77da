"""Which shown rows keep a page part refreshing itself."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ui.live import has_pending


def test_pending_among_states_and_lists_of_states():
    assert has_pending(pd.Series(["sent", "pending"]))
    assert not has_pending(pd.Series(["sent", "not_sent"]))
    rows = pd.DataFrame({"states": [np.array(["sent"]), np.nan, None, ["delivered"]]})
    assert not has_pending(rows["states"])          # a never-sent document has no list
    rows.loc[3, "states"] = ["sent", "pending"]
    assert has_pending(rows["states"])
    assert not has_pending([])
