"""Suivi's tracking core: documents, sends, delivery states, bounces. Never imports streamlit."""
