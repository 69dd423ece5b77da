"""The spliced zlib streams are what `zlib.compress` would give back, byte for byte, once
decompressed — whatever the template and the fields."""

from __future__ import annotations

import zlib

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from tracking.demo.deflate import SplicedTemplate

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
field_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)


@settings(max_examples=60, deadline=None)
@given(pieces=st.lists(texts.filter(lambda t: "@@" not in t), min_size=1, max_size=5),
       rows=st.integers(min_value=1, max_value=8), data=st.data())
def test_spliced_streams_decompress_to_the_filled_template(pieces, rows, data):
    names = [f"F{chr(65 + index)}" for index in range(len(pieces) - 1)]
    template_text = "".join(piece + (f"@@{names[i]}@@" if i < len(names) else "")
                            for i, piece in enumerate(pieces))
    template = SplicedTemplate.parse(template_text)
    values = {name.lower(): data.draw(st.lists(field_values, min_size=rows, max_size=rows))
              for name in names}
    blobs, text, size = template.render({name: pa.array(column)
                                         for name, column in values.items()}) \
        if names else template.render({"unused": pa.array([""] * rows)})
    for row in range(rows):
        expected = "".join(piece + (values[names[i].lower()][row] if i < len(names) else "")
                           for i, piece in enumerate(pieces)).encode("utf-8")
        assert zlib.decompress(blobs[row].as_py()) == expected
        assert text[row].as_py().encode("utf-8") == expected
        assert size[row] == len(expected)


def test_a_field_is_read_from_its_own_slice_of_a_shared_buffer():
    template = SplicedTemplate.parse("To: @@RCPT@@\n")
    column = pa.array(["skipped@example.org", "a@example.org", "b@example.org"]).slice(1)
    blobs, _, _ = template.render({"rcpt": column})
    assert [zlib.decompress(b.as_py()) for b in blobs] == [b"To: a@example.org\n",
                                                           b"To: b@example.org\n"]
