"""Folium (Leaflet) map builders: styles, legends, popups, coverage and gap overlays."""

__all__: list[str] = []
