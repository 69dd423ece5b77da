"""The only Streamlit-aware helpers: cached resources, cached queries, labels, shared widgets."""
