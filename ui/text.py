r"""Text from the database or from mail, made safe for Streamlit's Markdown elements.

Titles, captions, expander labels, alerts and `st.markdown` all read Markdown (plus Streamlit's
own `:color[…]` directives, `$…$` maths, and GFM autolinks): a client named
`![x](http://host/p.png)` would load an outside image, `[Pay here](http://…)` would become a
link. `markdown_text` backslash-escapes every ASCII punctuation character — CommonMark §2.4
makes each of them a literal — and folds line breaks, so the reader sees exactly the stored
characters. Escapes do not stop GFM's *literal* autolinks (`http://…`, `www.…`, `a@b.c`), which
are found in the text after parsing (seen in the browser test: an escaped `http\:\/\/…` still
became a link), so a WORD JOINER (U+2060, invisible) goes between the scheme, `www` or `@` and
what follows. Tables of data go through `st.dataframe`, which shows cells as text.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
_AUTOLINK_START = re.compile(r"(?i)(https?|ftp|mailto|xmpp|www)(?=[:.])|(?=@)")
WORD_JOINER = "\u2060"


def markdown_text(value: object) -> str:
    """`value` as literal text inside Markdown (None and NaN read as empty)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = _BREAKS.sub(" ", str(value))
    text = _AUTOLINK_START.sub(lambda m: (m.group(1) or "") + WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)
