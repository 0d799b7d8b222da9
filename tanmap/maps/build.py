"""Build the folium map of a district: layers, gaps, choropleth, legend, audit panel (一张图)."""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element, Figure
from folium.elements import ElementAddToElement
from folium.map import Layer

from tanmap.geo.chinacoords import transform_geometries, wgs84_to_gcj02
from tanmap.geo.errors import MissingCRSError
from tanmap.layers.card.card_text import format_share
from tanmap.layers.kinds import (
    CHOICE_LABELS,
    SPECS,
    STATUS_LABELS,
    GeometryFamily,
    LayerKind,
)
from tanmap.layers.kinds import Status as PlanStatus
from tanmap.layers.raster.rasters import RASTER_LABELS, RasterImage, RasterKind
from tanmap.layers.vector_tiles import DETAIL_ZOOM as TILE_DETAIL_ZOOM
from tanmap.layers.vector_tiles import MAX_FEATURES_PER_TILE as TILE_MAX_FEATURES
from tanmap.layers.vector_tiles import META_LAYER as TILE_META_LAYER
from tanmap.layers.vector_tiles import MIN_ZOOM as TILE_MIN_ZOOM
from tanmap.layers.vector_tiles import TiledLayer
from tanmap.maps.carbon import (
    ESTIMATED_DASH,
    NO_DATA_COLOR,
    CarbonMap,
    classed_buildings,
    classed_units,
    legend_ranges,
)
from tanmap.maps.i18n import bilingual, check_lang, label
from tanmap.maps.styles import (
    AUDIT_STATUS_COLORS,
    COVERAGE_BREAKS,
    COVERAGE_COLORS,
    OVERLAY_STYLES,
    STATUS_STYLES,
    LayerStyle,
    choice_label,
    coverage_color,
    layer_name,
    style_for,
)
from tanmap.maps.themes import DEFAULT_THEME, THEMES

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "ALWAYS_SHOWN",
    "AMAP_TILES",
    "DISPLAY_SIMPLIFY_M",
    "HIDDEN_AT_START",
    "MAX_ZOOM",
    "OSM_CREDIT_HTML",
    "OSM_CREDIT_MARK",
    "OSM_TILES",
    "POINT_CLUSTER_MIN",
    "POLYGON_DETAIL_LIMIT",
    "SAMPLE_DATA_LABEL",
    "SAMPLE_SOURCE_PREFIX",
    "STATIC_DIR",
    "VECTOR_TILE_JS",
    "VENDORED_CSS",
    "VENDORED_JS",
    "AssetMode",
    "Basemap",
    "district_map",
    "escape_json_for_script",
    "tile_columns",
]

Basemap = Literal["none", "osm", "amap"]
AssetMode = Literal["inline", "local"]

#: Folder of the vendored Leaflet/plugin files (see ``static/README.md``); the API serves it.
STATIC_DIR: Path = Path(str(resources.files("tanmap.maps").joinpath("static")))

#: Vendored JavaScript, in load order (Leaflet first), as paths relative to ``STATIC_DIR``.
VENDORED_JS: tuple[str, ...] = (
    "leaflet/leaflet.js",
    "leaflet.fullscreen/Control.FullScreen.js",
    "leaflet-measure/leaflet-measure.min.js",
    "leaflet.markercluster/leaflet.markercluster.js",
    "leaflet.browser.print/leaflet.browser.print.min.js",
)
#: The vendored vector-tile plug-in (Leaflet.VectorGrid), loaded only by pages with tiled layers.
VECTOR_TILE_JS = "leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
#: Vendored stylesheets, relative to ``STATIC_DIR``.
VENDORED_CSS: tuple[str, ...] = (
    "leaflet/leaflet.css",
    "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet-measure/leaflet-measure.css",
    "leaflet.markercluster/MarkerCluster.css",
    "leaflet.markercluster/MarkerCluster.Default.css",
)

#: Label carried by every synthetic feature (``data_label`` property) and shown in the banner.
SAMPLE_DATA_LABEL = "示例数据 synthetic sample"

#: ``source`` prefix of synthetic features (``tanmap.layers.sample.SAMPLE_LABEL`` starts so).
SAMPLE_SOURCE_PREFIX = "示例数据"

#: Display-only simplification tolerance, in metres of the planning CRS. 1 m is below what a
#: screen pixel covers at zoom 17 (≈ 1.2 m/px at 39°N), so nothing visible is lost.
DISPLAY_SIMPLIFY_M = 1.0

#: Above this many polygons a layer is drawn as clustered representative points instead of
#: footprints: Leaflet stays responsive to ~20k canvas paths, not to 100k.
POLYGON_DETAIL_LIMIT = 20_000

#: Point layers with at least this many features are clustered (MarkerCluster).
POINT_CLUSTER_MIN = 200

#: Deepest zoom level (MarkerCluster needs one even when no tile layer sets it).
MAX_ZOOM = 19

#: Layers listed in the layer control but switched off when the page opens (busy or bulky).
HIDDEN_AT_START: frozenset[LayerKind] = frozenset(
    {LayerKind.COMMUNITY, LayerKind.LAND_COVER, LayerKind.SPONGE_AREA, LayerKind.BUS_STOP,
     LayerKind.RECYCLING_POINT, LayerKind.WALK_NETWORK}
)

#: Text in a feature's ``source`` that marks OpenStreetMap data
#: (tanmap.layers.ingest.osm.OSM_ATTRIBUTION).
OSM_CREDIT_MARK = "© OpenStreetMap contributors"
#: The credit added to the map's attribution control when OSM-derived layers are shown.
OSM_CREDIT_HTML = (
    'Data &copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
    "contributors (ODbL 1.0)"
)
#: At most this many distinct sources are listed in the legend.
_MAX_SOURCES = 6
#: Layer keys shown whatever the theme (the real district boundary).
ALWAYS_SHOWN: frozenset[str] = frozenset({"boundary"})

#: WGS84 (OpenStreetMap) tiles: (url, attribution).
OSM_TILES = (
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
#: Amap/Gaode road tiles, GCJ-02: overlays must be shifted WGS84 -> GCJ-02 to line up.
AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
    "&copy; 高德地图 AutoNavi",
)

_FAMILY_ORDER = {GeometryFamily.POLYGON: 0, GeometryFamily.LINE: 1, GeometryFamily.POINT: 2}
_KIND_ORDER = {k: i for i, k in enumerate(LayerKind)}
_COORD_RE = re.compile(r"(-?\d+\.\d{6})\d+")
_IMG_URL_RE = re.compile(r"url\((['\"]?)((?:images/)?[\w@.-]+\.(?:png|svg))\1\)")
_MIME = {".png": "image/png", ".svg": "image/svg+xml"}


# --------------------------------------------------------------------------- escaping


def escape_json_for_script(text: str) -> str:
    r"""Make JSON text safe to embed inside an HTML ``<script>`` element.

    中文：嵌入脚本的 JSON 转义（防止 ``</script>`` 注入）。

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where ``\u003c`` etc. mean the same
    characters, so the data is unchanged while no ``</script>`` or ``<!--`` can end the element.

    Examples
    --------
    >>> escape_json_for_script('{"a": "</script><img src=x onerror=alert(1)>"}')
    '{"a": "\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e"}'
    """
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _esc(value: Any) -> str:
    """Return ``value`` HTML-escaped, with braces written as character references.

    folium re-parses some rendered output as a Jinja template (e.g. layer names in the layer
    control), where ``{{`` would be evaluated.
    """
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("{", "&#123;").replace("}", "&#125;")


# --------------------------------------------------------------------------- raw elements


class _Raw(Element):
    """An element whose text is emitted verbatim (not parsed as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


_HELPER_JS = r"""
window.tanmap = (function () {
  function txt(v) { return (v === null || v === undefined) ? "" : String(v); }
  // Our layers share one canvas renderer (fast for thousands of features); the map itself keeps
  // the SVG default, which the measure tool needs (it styles its vertices' SVG paths).
  var canvas = null;
  function renderer() { if (!canvas) { canvas = L.canvas({padding: 0.5}); } return canvas; }
  function styleOf(spec, props) {
    var key = spec.class_field ? txt(props[spec.class_field]) : "";
    var s = spec.styles[key] || spec.style;
    // Planned and under-construction features are drawn apart from existing ones.
    var st = spec.status_styles ? spec.status_styles[txt(props.status)] : null;
    return st ? Object.assign({}, s, st) : s;
  }
  // Popups and tooltips are built with textContent: attribute values are never parsed as HTML.
  function popup(props, spec) {
    var root = document.createElement("div");
    root.className = "tanmap-popup";
    var head = document.createElement("div");
    head.className = "tanmap-popup-title";
    head.textContent = spec.title;
    root.appendChild(head);
    var table = document.createElement("table");
    spec.fields.forEach(function (f) {
      var v = props[f[0]];
      if (v === null || v === undefined || v === "") { return; }
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      th.textContent = f[1];
      var td = document.createElement("td");
      var shown = (f[2] && spec.choices[txt(v)] !== undefined) ? spec.choices[txt(v)] : txt(v);
      if (typeof v === "boolean") { shown = v ? spec.yes_no[0] : spec.yes_no[1]; }
      td.textContent = shown;
      tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
    });
    root.appendChild(table);
    return root;
  }
  function fromColumns(d) {
    var keys = Object.keys(d.props), feats = new Array(d.x.length);
    for (var i = 0; i < d.x.length; i++) {
      var p = {};
      for (var j = 0; j < keys.length; j++) {
        var c = d.props[keys[j]], v = c.values[i];
        p[keys[j]] = (c.codes && v !== null) ? c.codes[v] : v;
      }
      feats[i] = {type: "Feature", geometry: {type: "Point", coordinates: [d.x[i], d.y[i]]},
                  properties: p};
    }
    return {type: "FeatureCollection", features: feats};
  }
  // Many points (e.g. 100k building centroids): plain circle markers straight from the columns,
  // one popup handler on the cluster group instead of one binding per marker.
  function columnsLayer(d, spec) {
    var keys = Object.keys(d.props), n = d.x.length, markers = new Array(n);
    for (var i = 0; i < n; i++) {
      var p = {};
      for (var j = 0; j < keys.length; j++) {
        var c = d.props[keys[j]], v = c.values[i];
        p[keys[j]] = (c.codes && v !== null) ? c.codes[v] : v;
      }
      var s = Object.assign({radius: spec.radius, renderer: renderer()}, styleOf(spec, p));
      var m = L.circleMarker([d.y[i], d.x[i]], s);
      m.feature = {type: "Feature", properties: p};
      markers[i] = m;
    }
    var group = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 18,
                                      spiderfyOnMaxZoom: false});
    group.on("click", function (e) {
      if (!e.layer || !e.layer.feature || !group._map) { return; }
      L.popup({maxWidth: 360}).setLatLng(e.layer.getLatLng())
        .setContent(popup(e.layer.feature.properties, spec)).openOn(group._map);
    });
    group.tanmapMarkers = markers;
    // Off the map, addLayers clusters everything synchronously (seconds for 100k points);
    // once the group is on the map it works in chunks and the page stays responsive.
    group.once("add", function () { group.addLayers(markers); });
    return group;
  }
  function layer(data, spec) {
    if (data.type === "Columns") {
      if (spec.cluster && L.markerClusterGroup) { return columnsLayer(data, spec); }
      data = fromColumns(data);
    }
    var interactive = spec.interactive !== false;
    var gj = L.geoJSON(data, {
      renderer: renderer(),
      interactive: interactive,
      style: function (f) { return styleOf(spec, f.properties); },
      pointToLayer: function (f, latlng) {
        var s = Object.assign({radius: spec.radius, renderer: renderer(),
                               interactive: interactive}, styleOf(spec, f.properties));
        return L.circleMarker(latlng, s);
      },
      onEachFeature: function (f, l) {
        if (!interactive) { return; }
        l.bindPopup(function () { return popup(f.properties, spec); }, {maxWidth: 360});
        var tip = spec.tooltip ? f.properties[spec.tooltip] : null;
        if (tip !== null && tip !== undefined && tip !== "") {
          l.bindTooltip(function () {
            var s = document.createElement("span"); s.textContent = txt(tip); return s;
          }, {sticky: true});
        }
      }
    });
    if (spec.cluster && L.markerClusterGroup) {
      var group = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 18,
                                        spiderfyOnMaxZoom: false});
      group.tanmapMarkers = gj.getLayers();
      group.addLayers(gj.getLayers());
      return group;
    }
    return gj;
  }

  // A large layer as vector tiles (Leaflet.VectorGrid): styled like its GeoJSON twin, popups
  // built by the same escaping popup(). The tiles sit in the tile pane, under the canvas of the
  // other overlays, so clicks never reach them: the map's click is hit-tested against the
  // features of the tiles shown (what VectorGrid's own canvas handler does).
  // Is tile point p on feature f: inside a polygon (even-odd over its rings), within a few
  // pixels of a line, or of a point symbol? (VectorGrid's own test needs interactive tiles.)
  function hitParts(f, p) {
    var tol = 4, inside = false, k, i, j, a, b;
    if (f._point) { return f._point.distanceTo(p) <= (f.options.radius || 4) + tol; }
    for (k = 0; k < f._parts.length; k++) {
      var ring = f._parts[k];
      for (i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        a = ring[i]; b = ring[j];
        if (f.options.fill && ((a.y > p.y) !== (b.y > p.y)) &&
            (p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x)) { inside = !inside; }
        if (!f.options.fill && i > 0 && L.LineUtil.pointToSegmentDistance(p, a, b) <= tol) {
          return true;
        }
      }
    }
    return inside;
  }
  function tileLayer(url, spec) {
    var styles = {};
    styles[spec.tile_layer] = function (props) {
      var s = styleOf(spec, props);
      return Object.assign({fill: s.fillOpacity > 0, radius: spec.radius}, s);
    };
    // A tile that had to leave features out carries a META layer: remember it, draw nothing.
    var capped = {};
    styles[spec.tile_meta] = function (props) {
      capped[props.x + ":" + props.y + ":" + props.z] = true;
      return [];
    };
    var vg = L.vectorGrid.protobuf(url, {
      rendererFactory: L.canvas.tile, vectorTileLayerStyles: styles, interactive: false,
      keepBuffer: 1, attribution: "",  // no over-zoom: the server tiles every zoom
      minZoom: spec.tile_min_zoom || 0,
      getFeatureId: function (f) { return f.id; }  // keeps each tile's features for hit tests
    });
    // GridLayer.beforeAdd would make minZoom the map's own lower limit (with no base map the
    // district could then not be zoomed out): below it the layer just draws nothing.
    vg.beforeAdd = function () {};
    function hit(e) {
      var found = null;
      Object.keys(vg._vectorTiles || {}).forEach(function (key) {
        var t = vg._tiles[key], r = vg._vectorTiles[key];
        if (!t || !t.current || !r || !r._features || !r._map) { return; }
        var pt = e.layerPoint.subtract(r.getOffset());
        Object.keys(r._features).forEach(function (id) {
          var f = r._features[id].feature;
          if (f && f._parts && hitParts(f, pt)) { found = f; }
        });
      });
      if (found && onMap) {
        L.popup({maxWidth: 360}).setLatLng(e.latlng)
          .setContent(popup(found.properties || {}, spec)).openOn(onMap);
      }
    }
    var onMap = null, note = null;
    function notice() {  // "zoom in" when below the tiles' zoom or when a tile on screen is capped
      if (!onMap || !note) { return; }
      var text = "", notes = spec.tile_notes || {};
      if (onMap.getZoom() < (spec.tile_min_zoom || 0)) {
        text = notes.zoom_in || "";
      } else if (Object.keys(vg._tiles || {}).some(function (k) {
        return vg._tiles[k].current && capped[k];
      })) {
        text = notes.capped || "";
      }
      note.textContent = text;
      note.style.display = text ? "" : "none";
    }
    var Note = L.Control.extend({onAdd: function () {
      var div = L.DomUtil.create("div", "tanmap-tile-note leaflet-bar");
      div.style.cssText = "background:#fff8e1;padding:3px 8px;font-size:12px;display:none";
      note = div;
      return div;
    }});
    var noteCtl = new Note({position: "topright"});
    vg.on("load tileload tileunload", notice);
    vg.on("add", function () {
      onMap = vg._map; onMap.on("click", hit); onMap.on("zoomend moveend", notice);
      noteCtl.addTo(onMap); notice();
    });
    vg.on("remove", function () {
      if (onMap) { onMap.off("click", hit); onMap.off("zoomend moveend", notice); }
      noteCtl.remove(); note = null; onMap = null;
    });
    vg.tanmapTiled = true;
    return vg;
  }

  // ---------------------------------------------------------------- themes, search, export
  var registry = {};  // layer key -> {layer, spec}
  function register(key, lyr, spec) { registry[key] = {layer: lyr, spec: spec}; }
  function theme(map, conf, key) {
    var keys = conf.themes[key];
    if (!keys) { return; }
    Object.keys(registry).forEach(function (k) {
      var l = registry[k].layer;
      var on = keys.indexOf(k) >= 0 || conf.always.indexOf(k) >= 0;
      if (on && !map.hasLayer(l)) { map.addLayer(l); }
      if (!on && map.hasLayer(l)) { map.removeLayer(l); }
    });
    map.getContainer().setAttribute("data-theme", key);
  }
  function features(entry) {
    var l = entry.layer;
    if (l.tanmapMarkers) { return l.tanmapMarkers; }
    return l.getLayers ? l.getLayers() : [];
  }
  function search(query) {
    var q = txt(query).trim().toLowerCase(), hits = [];
    if (!q) { return hits; }
    Object.keys(registry).forEach(function (k) {
      var entry = registry[k];
      if (entry.spec.interactive === false) { return; }
      features(entry).forEach(function (f) {
        var p = f.feature && f.feature.properties;
        if (!p) { return; }
        var id = txt(p.id || p.unit_id).toLowerCase(), name = txt(p.name || p.unit_name);
        if (id.indexOf(q) >= 0 || name.toLowerCase().indexOf(q) >= 0) {
          hits.push({key: k, entry: entry, item: f, props: p, name: name,
                     id: txt(p.id || p.unit_id)});
        }
      });
    });
    // Exact id matches first, then by name.
    hits.sort(function (a, b) {
      return (b.id.toLowerCase() === q) - (a.id.toLowerCase() === q) ||
             a.name.localeCompare(b.name);
    });
    return hits;
  }
  function reveal(map, hit) {
    var l = hit.entry.layer, f = hit.item;
    if (!map.hasLayer(l)) { map.addLayer(l); }
    var at = f.getBounds ? f.getBounds().getCenter() : f.getLatLng();
    function open() {
      L.popup({maxWidth: 360}).setLatLng(at).setContent(popup(hit.props, hit.entry.spec))
        .openOn(map);
    }
    if (f.getBounds) { map.fitBounds(f.getBounds(), {maxZoom: 17, animate: false}); }
    else { map.setView(at, Math.max(map.getZoom(), 17), {animate: false}); }
    open();
  }
  function savePng(map, name) {
    var size = map.getSize(), out = document.createElement("canvas");
    out.width = size.x; out.height = size.y;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, size.x, size.y);
    var origin = map.getContainer().getBoundingClientRect();
    map.getContainer().querySelectorAll(".leaflet-overlay-pane canvas, .leaflet-tile-pane img")
      .forEach(function (c) {
        var r = c.getBoundingClientRect();
        try { ctx.drawImage(c, r.left - origin.left, r.top - origin.top, r.width, r.height); }
        catch (e) { /* a cross-origin tile cannot be copied; the overlays still are */ }
      });
    var a = document.createElement("a");
    a.href = out.toDataURL("image/png");
    a.download = name + ".png";
    document.body.appendChild(a); a.click(); a.remove();
    return a.href.length;
  }
  function panelControl(el, position) {
    var Ctl = L.Control.extend({onAdd: function () {
      L.DomEvent.disableClickPropagation(el); L.DomEvent.disableScrollPropagation(el);
      el.style.display = ""; return el;
    }});
    return new Ctl({position: position});
  }
  function setup(map, conf) {
    // Our panels become Leaflet controls: Leaflet stacks the controls of a corner, so they
    // cannot overlap one another.
    var tools = document.getElementById("tanmap-tools");
    if (tools) { panelControl(tools, "topleft").addTo(map); }
    var audit = document.getElementById("tanmap-audit");
    if (audit) { panelControl(audit, "bottomleft").addTo(map); }
    var legend = document.getElementById("tanmap-legend");
    if (legend) { panelControl(legend, "bottomright").addTo(map); }
    if (L.control.browserPrint) {
      map.on("browser-print-start", function (e) {
        var head = document.getElementById("tanmap-print-title");
        if (head) { panelControl(head.cloneNode(true), "topleft").addTo(e.printMap); }
        if (legend) { panelControl(legend.cloneNode(true), "bottomright").addTo(e.printMap); }
        L.control.scale({imperial: false}).addTo(e.printMap);
      });
      L.control.browserPrint({
        position: "topleft", title: conf.labels.print,
        printModes: [L.BrowserPrint.Mode.Landscape("A4", {title: "A4 landscape"}),
                     L.BrowserPrint.Mode.Portrait("A4", {title: "A4 portrait"})],
        // Look window.print up at print time (tests and embedders may replace it).
        printFunction: function () { return window.print(); },
        closePopupsOnPrint: true
      }).addTo(map);
    }
    if (tools) {
      tools.querySelectorAll("input[name=tanmap-theme]").forEach(function (r) {
        r.addEventListener("change", function () { if (r.checked) { theme(map, conf, r.value); } });
      });
      var rule = tools.querySelector("select.tanmap-rule");
      if (rule) {
        rule.addEventListener("change", function () { window.location.href = rule.value; });
      }
      var box = tools.querySelector("#tanmap-search"), list = tools.querySelector(
        "#tanmap-search-results");
      var run = function (goFirst) {
        var hits = search(box.value);
        list.textContent = "";
        if (!box.value.trim()) { return; }
        if (!hits.length) {
          var none = document.createElement("div");
          none.className = "tanmap-none"; none.textContent = conf.labels.no_match;
          list.appendChild(none); return;
        }
        hits.slice(0, 8).forEach(function (h) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "tanmap-hit";
          b.textContent = (h.name || h.id) + (h.name && h.id ? " · " + h.id : "") +
                          " — " + h.entry.spec.title;
          b.addEventListener("click", function () { reveal(map, h); });
          list.appendChild(b);
        });
        if (goFirst) { reveal(map, hits[0]); }
      };
      if (box) {
        box.addEventListener("input", function () { run(false); });
        box.addEventListener("keydown", function (e) { if (e.key === "Enter") { run(true); } });
      }
      var png = tools.querySelector("#tanmap-png");
      if (png) { png.addEventListener("click", function () { savePng(map, conf.file_name); }); }
    }
    // The legend lists the layers on the map only.
    var syncLegend = function () {
      if (!legend) { return; }
      legend.querySelectorAll(".tanmap-legend-entry").forEach(function (e) {
        var entry = registry[e.getAttribute("data-key")];
        e.style.display = (!entry || map.hasLayer(entry.layer)) ? "" : "none";
      });
    };
    map.on("layeradd layerremove", syncLegend);
    if (conf.theme) { theme(map, conf, conf.theme); }
    syncLegend();
  }
  return {layer: layer, tileLayer: tileLayer, popup: popup, register: register,
          registry: registry, theme: theme, search: search, reveal: reveal, savePng: savePng,
          setup: setup};
})();
"""

_PAGE_CSS = """
.tanmap-panel { background: rgba(255,255,255,0.95); border: 1px solid #999; border-radius: 4px;
  padding: 6px 8px; font: 12px/1.4 sans-serif; overflow-y: auto;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); box-sizing: border-box; }
.tanmap-legend { max-width: 260px; max-height: 38vh; }
.tanmap-audit { max-width: 400px; max-height: 30vh; }
.tanmap-tools { width: 232px; max-height: 46vh; }
.tanmap-tools .row { margin: 2px 0 5px; }
.tanmap-tools label { display: inline-block; margin-right: 6px; white-space: nowrap; }
.tanmap-tools select, .tanmap-tools input[type=search] { width: 100%; box-sizing: border-box; }
.tanmap-tools .tanmap-hit { display: block; width: 100%; text-align: left; margin: 1px 0;
  font-size: 11px; background: #f5f5f5; border: 1px solid #ccc; border-radius: 2px;
  cursor: pointer; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tanmap-tools .tanmap-none { color: #a00; }
.tanmap-tools .links a, .tanmap-tools .links b { margin-right: 6px; }
.tanmap-banner { position: absolute; z-index: 1001; top: 10px; left: 50%;
  transform: translateX(-50%); max-width: 40vw; background: #fff3cd; color: #7a4d00;
  border: 2px solid #e0a800; border-radius: 4px; padding: 4px 12px;
  font: bold 14px sans-serif; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tanmap-banner small { font-weight: normal; margin-left: 8px; }
.tanmap-legend .sw { display: inline-block; width: 14px; height: 10px; margin-right: 5px;
  vertical-align: middle; border: 1px solid #555; box-sizing: border-box; }
.tanmap-legend .sub { margin-left: 14px; }
.tanmap-legend h4, .tanmap-audit h4, .tanmap-tools h4 { margin: 2px 0 4px; font-size: 13px; }
.tanmap-audit table, .tanmap-popup table { border-collapse: collapse; }
.tanmap-audit td, .tanmap-audit th { border-bottom: 1px solid #ddd; padding: 2px 4px;
  text-align: left; }
.tanmap-popup-title { font-weight: bold; margin-bottom: 4px; }
.tanmap-popup th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
.leaflet-control-layers { font-size: 12px; max-width: 280px; }
.leaflet-control-layers-list { max-height: 40vh; overflow-y: auto; }
.tanmap-status { color: #fff; border-radius: 3px; padding: 0 4px; white-space: nowrap; }
.tanmap-print-title { font: bold 16px sans-serif; }
@media print {
  .tanmap-tools, .tanmap-audit, .leaflet-control-layers, .leaflet-control-zoom,
  .leaflet-control-measure, .leaflet-control-zoom-fullscreen { display: none !important; }
}
"""


def _asset_text(rel: str) -> str:
    return (STATIC_DIR / rel).read_text(encoding="utf-8")


def _data_uri(path: Path) -> str:
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{_MIME[path.suffix]};base64,{payload}"


def _inline_css(rel: str) -> str:
    """Return a vendored stylesheet with its ``url(images/...)`` references as data URIs."""
    folder = (STATIC_DIR / rel).parent

    def data_uri(match: re.Match[str]) -> str:
        path = folder / match.group(2)
        if not path.is_file():  # e.g. IE-only VML behaviours: leave untouched
            return match.group(0)
        return f'url("{_data_uri(path)}")'

    return _IMG_URL_RE.sub(data_uri, _asset_text(rel))


def _asset_elements(mode: AssetMode, static_url: str, *, tiles: bool = False) -> list[str]:
    scripts = (*VENDORED_JS, VECTOR_TILE_JS) if tiles else VENDORED_JS
    if mode == "local":
        prefix = static_url.rstrip("/") + "/"
        out = [f'<link rel="stylesheet" href="{_esc(prefix + rel)}"/>' for rel in VENDORED_CSS]
        out += [f'<script src="{_esc(prefix + rel)}"></script>' for rel in scripts]
    else:
        out = [f"<style>/* {rel} */\n{_inline_css(rel)}</style>" for rel in VENDORED_CSS]
        # Vendored files hold no "</script" (checked by tests), so they can be inlined as is.
        out += [f"<script>/* {rel} */\n{_asset_text(rel)}</script>" for rel in scripts]
        # Leaflet finds its default marker images from the stylesheet's URL; inlined as data
        # URIs that lookup fails (it would request ./marker-icon.png), so name them directly.
        icons = {
            key: _data_uri(STATIC_DIR / "leaflet" / "images" / name)
            for key, name in (("iconUrl", "marker-icon.png"),
                              ("iconRetinaUrl", "marker-icon-2x.png"),
                              ("shadowUrl", "marker-shadow.png"))
        }
        out.append(
            "<script>L.Icon.Default.imagePath = '';"
            f"L.Icon.Default.mergeOptions({json.dumps(icons)});</script>"
        )
    out.append(f"<style>{_PAGE_CSS}</style>")
    out.append(f"<script>{_HELPER_JS}</script>")
    return out


# --------------------------------------------------------------------------- layer element


class _FeatureLayer(Layer):
    """A GeoJSON overlay drawn by the page helper ``tanmap.layer`` (escaped popups, clustering).

    Its script is emitted verbatim: folium's ``MacroElement`` would re-parse the rendered script
    as a Jinja template, which is slow for large data and would evaluate ``{{ ... }}`` found in
    attribute values (template injection).
    """

    def __init__(self, name: str, data_js: str, spec_js: str, *, show: bool = True,
                 key: str = "") -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "TanmapLayer"
        self.data_js = data_js
        self.spec_js = spec_js
        self.key = key

    def render(self, **kwargs: Any) -> Any:
        if self.show and self._parent is not None:
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=self._parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        figure = self.get_root()
        if isinstance(figure, Figure):
            var = self.get_name()
            script = self._create_js(var)
            if self.key:
                key = escape_json_for_script(json.dumps(self.key))
                script += f"\ntanmap.register({key}, {var}, {self.spec_js});"
            figure.script.add_child(_Raw(script), name=var)
        for child in self._children.values():
            child.render(**kwargs)

    def _create_js(self, var: str) -> str:
        """Return the statement creating the layer's JavaScript variable ``var``."""
        return f"var {var} = tanmap.layer({self.data_js}, {self.spec_js});"


class _TileLayer(_FeatureLayer):
    """A large layer drawn from vector tiles by the page helper ``tanmap.tileLayer``."""

    def __init__(self, name: str, url: str, spec_js: str, *, show: bool = True,
                 key: str = "") -> None:
        super().__init__(name, "", spec_js, show=show, key=key)
        self._name = "TanmapTileLayer"
        self.url = url

    def _create_js(self, var: str) -> str:
        url = escape_json_for_script(json.dumps(self.url))
        return f"var {var} = tanmap.tileLayer({url}, {self.spec_js});"


def tile_columns(kind: LayerKind | str) -> tuple[str, ...]:
    """Return the properties a vector tile of ``kind`` carries: identity, status, style class.

    中文：矢量切片携带的属性（编号、名称、状态、分类字段）。

    Examples
    --------
    >>> tile_columns("building")
    ('id', 'name', 'status', 'use_category')
    """
    spec = SPECS[_kind(kind)]
    names = {f.name for f in spec.all_fields}
    cf = style_for(spec.kind).class_field
    return tuple(c for c in ("id", "name", "status", cf) if c and c in names)


class _Setup(Element):
    """Script run after every layer and control exists: panels, themes, search, print."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "TanmapSetup"
        self.config = config

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        if isinstance(figure, Figure) and self._parent is not None:
            conf = escape_json_for_script(json.dumps(self.config, ensure_ascii=False))
            figure.script.add_child(
                _Raw(f"tanmap.setup({self._parent.get_name()}, {conf});"), name=self.get_name()
            )
        return ""


@dataclass(frozen=True)
class _Prepared:
    """A layer ready for display: EPSG:4326 frame plus how it is shown."""

    frame: gpd.GeoDataFrame
    mode: str  # "detail", "clustered_points" (from polygons), "points"
    n_source: int


# --------------------------------------------------------------------------- preparation


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise MissingCRSError(
            f"{what} has no CRS; call .set_crs(<source CRS>) first (e.g. 'EPSG:4326')."
        )
    return gdf if gdf.crs.equals(pyproj.CRS.from_epsg(4326)) else gdf.to_crs(4326)


def _metric_crs(gdf: gpd.GeoDataFrame, planning_epsg: int | None) -> Any:
    if planning_epsg:
        return pyproj.CRS.from_epsg(int(planning_epsg))
    return gdf.estimate_utm_crs()


def _prepare(
    gdf: gpd.GeoDataFrame, family: GeometryFamily | None, planning_epsg: int | None, what: str
) -> _Prepared:
    """Reproject to EPSG:4326 and reduce the geometry for display (simplify or cluster)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise MissingCRSError(
            f"{what} has no CRS; call .set_crs(<source CRS>) first (e.g. 'EPSG:4326')."
        )
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    n = len(gdf)
    if n == 0 or family is GeometryFamily.POINT:
        mode = "points" if family is GeometryFamily.POINT else "detail"
        return _Prepared(_to_wgs84(gdf, what), mode, n)
    # Simplify in metres: use the input as is when it is already projected (one reprojection).
    metric = gdf if gdf.crs.is_projected else gdf.to_crs(_metric_crs(gdf, planning_epsg))
    if family is GeometryFamily.POLYGON and n > POLYGON_DETAIL_LIMIT:
        points = metric.set_geometry(metric.geometry.representative_point()).to_crs(4326)
        return _Prepared(points, "clustered_points", n)
    simplified = metric.geometry.simplify(DISPLAY_SIMPLIFY_M, preserve_topology=True)
    out = metric.set_geometry(simplified).to_crs(4326)
    return _Prepared(out, "detail", n)


def _plain_number(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no Infinity/NaN
    return value


def _json_records(frame: pd.DataFrame) -> list[str]:
    """Return one JSON object per row; non-JSON values become strings, NaN becomes null."""
    cols: dict[str, list[Any]] = {}
    for col in frame.columns:
        s = frame[col]
        missing = s.isna().to_numpy()
        values = s.astype(object).to_numpy()
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols[str(col)] = [
                None if m else _plain_number(v) for m, v in zip(missing, values, strict=True)
            ]
        else:
            cols[str(col)] = [None if m else str(v) for m, v in zip(missing, values, strict=True)]
    names = list(cols)
    return [
        json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, separators=(",", ":"))
        for row in zip(*cols.values(), strict=True)
    ] if names else ["{}"] * len(frame)


def _feature_collection(frame: gpd.GeoDataFrame, keep: Sequence[str]) -> str:
    """Return a compact GeoJSON FeatureCollection (coordinates cut to 6 decimals, ~0.1 m)."""
    geoms = shapely.to_geojson(np.asarray(frame.geometry.values))
    geoms = [_COORD_RE.sub(r"\1", g) for g in geoms]
    props = _json_records(pd.DataFrame(frame[list(keep)]))
    body = ",".join(
        f'{{"type":"Feature","geometry":{g},"properties":{p}}}'
        for g, p in zip(geoms, props, strict=True)
    )
    return escape_json_for_script(f'{{"type":"FeatureCollection","features":[{body}]}}')


def _point_columns(frame: gpd.GeoDataFrame, keep: Sequence[str]) -> str:
    """Return many points as columns (x, y and dictionary-encoded attributes).

    About 4x smaller than GeoJSON; the page helper turns them back into features.
    """
    xy = np.round(shapely.get_coordinates(np.asarray(frame.geometry.values)), 6)
    props: dict[str, dict[str, list[Any]]] = {}
    for col in keep:
        s = frame[col]
        missing = s.isna().to_numpy()
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            values = s.astype(object).to_numpy()
            props[col] = {"values": [None if m else _plain_number(v)
                                     for m, v in zip(missing, values, strict=True)]}
            continue
        codes, uniques = pd.factorize(s.astype(object).where(~missing, None), use_na_sentinel=True)
        props[col] = {"codes": [str(u) for u in uniques],
                      "values": [None if c < 0 else int(c) for c in codes]}
    data = {"type": "Columns", "x": xy[:, 0].tolist(), "y": xy[:, 1].tolist(), "props": props}
    return escape_json_for_script(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def _kind(kind: LayerKind | str) -> LayerKind:
    style_for(kind)  # raises ValueError listing the known kinds
    return LayerKind(kind)


def _field_label(kind: LayerKind | None, col: str, lang: str) -> tuple[str, bool]:
    if col == "data_label":
        return (label("sample_banner", lang), False)
    if col in ("share_pct", "unit_name", "unit_id", "residential_m2", "covered_m2", "targets",
               "error_bound_m2", "unit_verdict"):
        return (label(col, lang), False)
    if col in _CARBON_FIELDS:
        return (label(col, lang), col == "basis")
    if kind is not None:
        try:
            f = SPECS[kind].get_field(col)
        except KeyError:
            return (col, False)
        return (f.en if lang == "en" else f.zh) + (f" ({f.unit})" if f.unit else ""), bool(
            f.choices
        )
    return (col, False)


#: Result columns of the carbon map with their own labels (``basis`` is a coded value).
_CARBON_FIELDS = frozenset({"basis", "tco2", "tco2_per_m2", "top_rank", "eui_source",
                            "n_buildings", "n_measured", "n_estimated", "n_no_data"})


def _layer_spec_js(
    title: str,
    style: LayerStyle,
    columns: Sequence[str],
    kind: LayerKind | None,
    lang: str,
    *,
    cluster: bool,
    tooltip: str | None,
    class_field: str | None = None,
    class_colors: Mapping[str, str] | None = None,
    class_extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    cf = class_field if class_field is not None else style.class_field
    colors = class_colors if class_colors is not None else style.class_colors
    fields = []
    for col in columns:
        if col in ("coverage_class", "carbon_class"):  # colour codes that only drive the style
            continue
        text, coded = _field_label(kind, col, lang)
        fields.append([col, text, coded or col == "status"])
    spec = {
        "title": title,
        "fields": fields,
        "choices": {code: (en if lang == "en" else zh) for code, (zh, en) in CHOICE_LABELS.items()},
        "class_field": cf if cf in columns else None,
        "style": style.leaflet(),
        "styles": {
            key: {**style.leaflet(), "color": c, "fillColor": c, **(class_extra or {}).get(key, {})}
            for key, c in colors.items()
        },
        "yes_no": ["Yes", "No"] if lang == "en" else ["是", "否"],
        "radius": style.radius_px,
        "cluster": cluster,
        "tooltip": tooltip,
        "interactive": style.interactive,
        "status_styles": STATUS_STYLES if "status" in columns else {},
    }
    return escape_json_for_script(json.dumps(spec, ensure_ascii=False))


def _sample_rows(frame: pd.DataFrame) -> np.ndarray:
    """Return which rows carry a 示例数据 ``source`` (tanmap's sample generator marks them)."""
    if "source" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    source = frame["source"].astype(object)
    marked = [isinstance(v, str) and v.startswith(SAMPLE_SOURCE_PREFIX) for v in source]
    return np.asarray(marked, dtype=bool)


def _display_columns(frame: gpd.GeoDataFrame, mode: str, class_field: str | None) -> list[str]:
    cols = [c for c in frame.columns if c != frame.geometry.name]
    if mode == "clustered_points":
        # 100k footprints: keep identity, class and the sample label, not every attribute.
        cols = [c for c in ("id", "name", class_field, "data_label") if c and c in cols]
    return cols


def _tooltip_field(columns: Sequence[str]) -> str | None:
    return next((c for c in ("name", "unit_name", "id") if c in columns), None)


# --------------------------------------------------------------------------- HTML panels


def _swatch(color: str, *, line: bool = False) -> str:
    shape = "height:3px;border:none;" if line else ""
    return f'<span class="sw" style="background:{_esc(color)};{shape}"></span>'


def _legend_html(entries: Sequence[str], lang: str) -> str:
    return (
        f'<div class="tanmap-panel tanmap-legend" id="tanmap-legend">'
        f"<h4>{_esc(label('legend', lang, both=True))}</h4>{''.join(entries)}</div>"
    )


def _legend_entry(
    name: str, style: LayerStyle, family: GeometryFamily | None, classes: Sequence[str],
    lang: str, note: str | None = None,
) -> str:
    line = family is GeometryFamily.LINE
    color = style.color if line else style.fill_color
    head = f"<div>{_swatch(color, line=line)}{_esc(name)}"
    head += f" <small>({_esc(note)})</small></div>" if note else "</div>"
    subs = "".join(
        f'<div class="sub">{_swatch(style.color_of(c), line=line)}{_esc(choice_label(c, lang))}'
        f"</div>"
        for c in classes
    )
    return head + subs


def _audit_html(audit_summary: Sequence[Mapping[str, Any]], lang: str) -> str:
    rows = []
    for item in audit_summary:
        status = str(item.get("status", "no_data"))
        color = AUDIT_STATUS_COLORS.get(status, AUDIT_STATUS_COLORS["no_data"])
        shown = label(status, lang) if status in AUDIT_STATUS_COLORS else status
        rows.append(
            "<tr>"
            f"<td>{_esc(item.get('title', ''))}</td>"
            f'<td><span class="tanmap-status" style="background:{color}">{_esc(shown)}</span></td>'
            f"<td>{_esc(item.get('measured', ''))}</td>"
            f"<td>{_esc(item.get('target', ''))}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th>{_esc(label(k, lang))}</th>"
        for k in ("audit_title", "audit_status", "audit_measured", "audit_target")
    )
    return (
        '<div class="tanmap-panel tanmap-audit" id="tanmap-audit">'
        f"<h4>{_esc(label('audit', lang, both=True))}</h4>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _basemap_links_html(links: Mapping[str, str], current: str, lang: str) -> str:
    names = {"none": "no_basemap", "osm": "osm", "amap": "amap"}
    items = []
    for key, url in links.items():
        if key not in names:
            raise ValueError(f"unknown basemap {key!r} in basemap_links; use none, osm or amap")
        text = _esc(label(names[key], lang))
        items.append(f"<b>{text}</b>" if key == current
                     else f'<a href="{_esc(url)}">{text}</a>')
    head = _esc(bilingual("底图", "Base map", lang))
    return f'<div class="tanmap-basemaps"><small>{head}: {" · ".join(items)}</small></div>'


def _status_legend_html(lang: str) -> str:
    rows = []
    for status, dash in (("existing", "solid"), ("under_construction", "dotted"),
                         ("planned", "dashed")):
        zh, en = STATUS_LABELS[PlanStatus(status)]
        rows.append(
            f'<div class="sub"><span class="sw" style="background:#fff;border:2px {dash} #333">'
            f"</span>{_esc(en if lang == 'en' else zh)}</div>"
        )
    return f"<div>{_esc(label('status_legend', lang, both=True))}</div>" + "".join(rows)


def _horizon_label(horizon: str, lang: str) -> str:
    return label("now", lang) if horizon == "now" else str(horizon)


def _tools_html(
    lang: str, *, theme: str | None, horizon: str, horizon_links: Mapping[str, str] | None,
    rule: str | None, rule_links: Mapping[str, str] | None,
) -> str:
    parts = []
    if theme is not None:
        radios = "".join(
            f'<label><input type="radio" name="tanmap-theme" value="{_esc(t.key)}"'
            f'{" checked" if t.key == theme else ""}> {_esc(t.zh if lang == "zh" else t.en)}'
            f"</label>"
            for t in THEMES
        )
        parts.append(f"<h4>{_esc(label('themes', lang, both=True))}</h4>"
                     f'<div class="row tanmap-themes">{radios}</div>')
    if horizon_links:
        links = " ".join(
            f"<b>{_esc(_horizon_label(k, lang))}</b>" if k == horizon
            else f'<a href="{_esc(url)}">{_esc(_horizon_label(k, lang))}</a>'
            for k, url in horizon_links.items()
        )
        parts.append(f'<div class="row links tanmap-horizon">'
                     f"{_esc(label('horizon', lang))}: {links}</div>")
    if rule_links:
        options = "".join(
            f'<option value="{_esc(url)}"{" selected" if key == rule else ""}>{_esc(key)}</option>'
            for key, url in rule_links.items()
        )
        parts.append(f'<div class="row">{_esc(label("rule", lang))}: '
                     f'<select class="tanmap-rule">{options}</select></div>')
    parts.append(
        f'<div class="row"><input type="search" id="tanmap-search" autocomplete="off" '
        f'placeholder="{_esc(label("search", lang))}"><div id="tanmap-search-results"></div>'
        "</div>"
    )
    parts.append(f'<div class="row"><button type="button" id="tanmap-png">'
                 f"{_esc(label('save_png', lang))}</button></div>")
    return (f'<div class="tanmap-panel tanmap-tools" id="tanmap-tools" style="display:none">'
            f"{''.join(parts)}</div>")


def _banner_html(lang: str) -> str:
    return (
        '<div class="tanmap-banner" id="tanmap-sample-banner">'
        f"{_esc(label('sample_banner', 'zh', both=True))}"
        f"<small>{_esc(label('sample_note', lang))}</small></div>"
    )


# --------------------------------------------------------------------------- district row


def _district_frame(district_row: Any) -> gpd.GeoDataFrame:
    if isinstance(district_row, gpd.GeoDataFrame):
        if len(district_row) != 1:
            raise ValueError(
                f"district_row must hold exactly one district, got {len(district_row)} rows; "
                "select one, e.g. districts[districts.adcode == '120101']"
            )
        return _to_wgs84(district_row, "district_row")
    if isinstance(district_row, pd.Series) and "geometry" in district_row.index:
        # A row taken from a GeoDataFrame loses its CRS; the store's rows are EPSG:4326.
        frame = gpd.GeoDataFrame([district_row.drop("geometry").to_dict()],
                                 geometry=[district_row["geometry"]], crs=4326)
        return frame
    raise TypeError(
        "district_row: expected a one-row GeoDataFrame (or a row Series in EPSG:4326) with "
        f"adcode, name, geometry; got {type(district_row).__name__}"
    )


# --------------------------------------------------------------------------- main builder


def district_map(
    district_row: gpd.GeoDataFrame | pd.Series,
    layers: Mapping[LayerKind | str, gpd.GeoDataFrame | TiledLayer],
    *,
    units: gpd.GeoDataFrame | None = None,
    coverage: Mapping[str, gpd.GeoDataFrame] | None = None,
    unit_coverage: pd.DataFrame | gpd.GeoDataFrame | None = None,
    unit_share_column: str = "share",
    audit_summary: Sequence[Mapping[str, Any]] | None = None,
    lang: str = "zh",
    sample: bool = False,
    basemap: Basemap = "none",
    assets: AssetMode = "inline",
    static_url: str = "/static/maps/",
    basemap_links: Mapping[str, str] | None = None,
    theme: str | None = DEFAULT_THEME,
    horizon: str = "now",
    horizon_links: Mapping[str, str] | None = None,
    rule: str | None = None,
    rule_links: Mapping[str, str] | None = None,
    carbon: CarbonMap | None = None,
    rasters: Sequence[RasterImage] = (),
    tiled: Mapping[str, str] | None = None,
) -> folium.Map:
    """Return an interactive map of one district with its plan layers and audit results.

    中文：区县规划一张图（图层、服务半径、未覆盖居住用地、街道覆盖率、目标核查）。

    maps/ computes nothing: coverage areas, gaps and per-unit shares arrive already computed
    (``MetricResult.layers`` / ``per_unit``). Every input is reprojected to EPSG:4326 here.

    Parameters
    ----------
    district_row
        The district: a one-row GeoDataFrame (any CRS) with ``adcode``, ``name`` and optionally
        ``name_en`` and ``planning_epsg``; or a row Series in EPSG:4326.
    layers
        Layers by kind (``LayerKind`` or its value), in any CRS. Polygon layers are simplified
        for display by ``DISPLAY_SIMPLIFY_M`` metres; above ``POLYGON_DETAIL_LIMIT`` features they
        are drawn as clustered representative points; point layers of ``POINT_CLUSTER_MIN`` or
        more features are clustered. A kind drawn from tiles (in ``tiled``) may be given as its
        :class:`~tanmap.layers.vector_tiles.TiledLayer` summary instead of its features.
    units
        Sub-district (街道) polygons with ``id`` and ``name``; defaults to
        ``layers["subdistrict"]``. Needed for a choropleth from a table without geometry.
    coverage
        Computed result layers by name, e.g. ``{"service_areas": ..., "gaps": ...}``.
    unit_coverage
        Per-街道 coverage: a GeoDataFrame with ``unit_share_column``, or a table with
        ``unit_id`` (matching ``units.id``), optional ``unit_name``, and ``unit_share_column``.
    unit_share_column
        Column holding the share (0–1).
    audit_summary
        Rows with ``title``, ``status`` (``met``/``not_met``/``on_track``/``no_data``),
        ``measured`` and ``target`` (display strings), shown in a side panel.
    lang
        ``"zh"`` (Chinese first, default) or ``"en"``.
    sample
        Whether the layers are synthetic sample data (示例数据): adds a banner and a
        ``data_label`` property to every feature except the (real) district boundary. Even
        with ``sample=False``, features whose ``source`` starts with ``示例数据`` are labelled
        and the banner is shown: synthetic data is never presented as real.
    basemap
        ``"none"`` (default; works offline), ``"osm"`` (WGS84 tiles) or ``"amap"`` (GCJ-02
        tiles; overlays are shifted WGS84 → GCJ-02 for display only, so they line up).
    assets
        ``"inline"`` (default): Leaflet and plugins are embedded, the saved HTML works offline
        on its own. ``"local"``: the page links them under ``static_url`` (serve ``STATIC_DIR``).
    static_url
        URL prefix of ``STATIC_DIR`` for ``assets="local"``.
    basemap_links
        Optional ``{"none"|"osm"|"amap": url}`` of the same page with another base map; shown in
        the legend as a base-map picker (the current one is marked).
    theme
        The theme (:data:`tanmap.maps.themes.THEMES`) the page opens with: its layers are on,
        the others listed but off; a theme picker switches. None: every layer on but
        ``HIDDEN_AT_START`` (no picker).
    horizon, horizon_links
        The year shown (``"now"`` 现状, ``"2025"``, ``"2030"``: the caller filtered the layers
        and the audit to it) and ``{horizon: url}`` of the same page at other years (a year
        control; the current one is marked).
    rule, rule_links
        The park-coverage rule of the overlays and ``{rule id: url}`` of the page under other
        rules (a rule picker).
    carbon
        The carbon map (碳排放量地图, theme ``carbon``): buildings classed by tCO₂/m² (estimated
        figures with a dashed outline, no figure in grey), 街道 totals as a classed choropleth
        and the top emitters outlined, each with a legend of its class ranges.
    rasters
        Raster layers (``tanmap.layers.raster.rasters.raster_image``): image overlays in their
        Web-Mercator grid between WGS84 bounds (shifted to GCJ-02 with the Amap base map), keyed
        ``raster_<kind>`` for the themes, each with its legend.
    tiled
        ``{kind value: tile URL template}`` of large layers drawn from vector tiles
        (``.../{z}/{x}/{y}.pbf``, served by ``GET /tiles/...``) instead of being embedded; the
        page then loads the vendored Leaflet.VectorGrid. With the Amap base map the URL must ask
        for GCJ-02 tiles (``?basemap=amap``). A tiled building layer also leaves the per-building
        carbon layer out (its 街道 totals stay).

    Raises
    ------
    ValueError
        For an unknown language, basemap, asset mode or layer kind, a multi-row
        ``district_row``, or an ``unit_coverage`` without the share column.
    TypeError
        If ``district_row`` or a layer is not a GeoDataFrame.
    MissingCRSError
        If a layer has no CRS.
    """
    lang = check_lang(lang)
    themes = {t.key: t for t in THEMES}
    if theme is not None and theme not in themes:
        raise ValueError(f"unknown theme {theme!r}; use one of {', '.join(themes)} or None")
    shown_keys = set(themes[theme].layers) if theme is not None else None
    if basemap not in ("none", "osm", "amap"):
        raise ValueError(f"unknown basemap {basemap!r}; use 'none' (offline), 'osm' or 'amap'")
    if assets not in ("inline", "local"):
        raise ValueError(f"unknown asset mode {assets!r}; use 'inline' or 'local'")

    district = _district_frame(district_row)
    planning_epsg = (
        int(district["planning_epsg"].iloc[0])
        if "planning_epsg" in district.columns and pd.notna(district["planning_epsg"].iloc[0])
        else None
    )
    shift = basemap == "amap"
    west, south, east, north = (float(v) for v in district.total_bounds)
    centre = [(south + north) / 2, (west + east) / 2]

    m = folium.Map(
        location=centre, zoom_start=13, tiles=None, control_scale=True,
        maxZoom=MAX_ZOOM,  # map option (folium passes max_zoom to tiles only)
    )
    # Offline: never let folium add its CDN links; the vendored copies are added below.
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    if not isinstance(root, Figure):  # folium.Map always creates its Figure
        raise TypeError(f"folium.Map without a Figure root: {type(root).__name__}")
    tiled = dict(tiled or {})
    for i, text in enumerate(_asset_elements(assets, static_url, tiles=bool(tiled))):
        root.header.add_child(_Raw(text), name=f"tanmap_asset_{i}")

    d_name = str(district["name"].iloc[0]) if "name" in district.columns else ""
    d_name_en = str(district["name_en"].iloc[0]) if "name_en" in district.columns else ""
    root.title = _esc(bilingual(d_name, d_name_en, lang).strip())

    if basemap != "none":
        url, attribution = OSM_TILES if basemap == "osm" else AMAP_TILES
        folium.TileLayer(
            tiles=url, attr=attribution, name=_esc(label(basemap, lang)), overlay=False,
            control=True, subdomains="1234" if basemap == "amap" else "abc", max_zoom=MAX_ZOOM,
        ).add_to(m)

    legend: list[str] = []
    found_sample: list[str] = []
    sources: dict[str, None] = {}  # distinct feature sources, in order (shown in the legend)
    statuses: set[str] = set()

    def add(
        frame_in: gpd.GeoDataFrame,
        name: str,
        style: LayerStyle,
        family: GeometryFamily | None,
        kind: LayerKind | None,
        *,
        synthetic: bool,
        class_field: str | None = None,
        class_colors: Mapping[str, str] | None = None,
        legend_classes: bool = True,
        key: str = "",
        hidden_by_default: bool = False,
        note: str | None = None,
        class_extra: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        prepared = _prepare(frame_in, family, planning_epsg, name)
        show = (not hidden_by_default) if shown_keys is None else (
            key in shown_keys or key in ALWAYS_SHOWN)
        if "status" in prepared.frame.columns:
            statuses.update(str(v) for v in prepared.frame["status"].dropna().unique())
        frame = prepared.frame
        if kind is not None and "source" in frame.columns:
            sources.update(dict.fromkeys(
                str(v) for v in frame["source"].dropna().unique()[:_MAX_SOURCES] if str(v)
            ))
        if synthetic:
            frame = frame.assign(data_label=SAMPLE_DATA_LABEL)
        else:
            # Synthetic features are labelled even when the caller forgot ``sample=True``.
            marked = _sample_rows(frame)
            if marked.any():
                frame = frame.assign(data_label=np.where(marked, SAMPLE_DATA_LABEL, None))
                found_sample.append(name)
        if shift and len(frame):
            frame = frame.set_geometry(transform_geometries(frame.geometry, wgs84_to_gcj02))
        cf = class_field if class_field is not None else style.class_field
        columns = _display_columns(frame, prepared.mode, cf)
        cluster = prepared.mode == "clustered_points" or (
            prepared.mode == "points" and len(frame) >= POINT_CLUSTER_MIN
        )
        display = f"{name} ({prepared.n_source})"
        spec_js = _layer_spec_js(
            name, style, columns, kind, lang, cluster=cluster, tooltip=_tooltip_field(columns),
            class_field=class_field, class_colors=class_colors, class_extra=class_extra,
        )
        encode = _point_columns if prepared.mode == "clustered_points" else _feature_collection
        _FeatureLayer(_esc(display), encode(frame, columns), spec_js, show=show,
                      key=key).add_to(m)
        classes: list[str] = []
        if legend_classes and cf and cf in frame.columns:
            present = {str(v) for v in frame[cf].dropna().unique()}
            classes = [c for c in style.class_colors if c in present]
        if prepared.mode == "clustered_points":
            note = label("clustered_polygons", lang)
        legend.append(f'<div class="tanmap-legend-entry" data-key="{_esc(key)}">'
                      f"{_legend_entry(display, style, family, classes, lang, note)}</div>")

    # Draw order (canvas paints in add order): choropleth, polygons, coverage results, lines,
    # points, and the boundary on top.
    kinds = sorted(
        ((_kind(k), gdf) for k, gdf in layers.items()),
        key=lambda kv: (_FAMILY_ORDER[SPECS[kv[0]].geometry], _KIND_ORDER[kv[0]]),
    )
    units_frame = units
    if units_frame is None:
        units_frame = next((g for k, g in kinds if k is LayerKind.SUBDISTRICT), None)

    if unit_coverage is not None:
        choropleth = _choropleth_frame(unit_coverage, units_frame, unit_share_column, lang)
        colors = {c: c for c in COVERAGE_COLORS}
        colors["#bdbdbd"] = "#bdbdbd"
        ramp = LayerStyle("#555555", "#bdbdbd", weight_px=1.0, fill_opacity=0.4)
        add(choropleth, label("unit_coverage", lang, both=True), ramp, GeometryFamily.POLYGON,
            None, synthetic=sample, class_field="coverage_class", class_colors=colors,
            legend_classes=False, key="unit_coverage")
        lower = (0.0, *COVERAGE_BREAKS[:-1])
        ramp_rows = "".join(
            f'<div class="sub">{_swatch(c)}{lo:.0%}–{hi:.0%}</div>'
            for lo, hi, c in zip(lower, COVERAGE_BREAKS, COVERAGE_COLORS, strict=True)
        )
        legend[-1] = legend[-1][: -len("</div>")] + ramp_rows + "</div>"

    def append_ranges(rows: Sequence[tuple[str, str]]) -> None:
        html_rows = "".join(f'<div class="sub">{_swatch(c)}{_esc(text)}</div>' for c, text in rows)
        legend[-1] = legend[-1][: -len("</div>")] + html_rows + "</div>"

    if carbon is not None and carbon.per_unit is not None and units_frame is not None:
        unit_frame, unit_classes = classed_units(carbon.per_unit, units_frame, k=carbon.k,
                                                 scheme=carbon.scheme)
        colors = dict(zip((f"u{i}" for i in range(len(unit_classes.colors))),
                          unit_classes.colors, strict=True))
        ramp = LayerStyle("#555555", NO_DATA_COLOR, weight_px=1.0, fill_opacity=0.45)
        add(unit_frame, label("unit_emissions", lang, both=True), ramp, GeometryFamily.POLYGON,
            None, synthetic=sample, class_field="carbon_class", class_colors=colors,
            legend_classes=False, key="unit_emissions")
        append_ranges([(c, f"{t} tCO₂") for c, t in legend_ranges(
            unit_classes, unit_frame["tco2"].tolist())])

    for image in rasters:
        _add_raster(m, image, lang=lang, shift=shift, legend=legend, shown_keys=shown_keys)

    def add_tiled(kind: LayerKind, gdf: gpd.GeoDataFrame | TiledLayer, url: str) -> None:
        style = style_for(kind)
        key = kind.value
        show = (kind not in HIDDEN_AT_START) if shown_keys is None else (
            key in shown_keys or key in ALWAYS_SHOWN)
        columns = [*tile_columns(kind), "data_label"]
        spec = json.loads(_layer_spec_js(layer_name(kind, lang), style, columns, kind, lang,
                                         cluster=False, tooltip=None))
        spec["tile_layer"] = kind.value
        spec["tile_min_zoom"] = TILE_MIN_ZOOM  # sub-pixel specks below it (vector_tiles)
        spec["tile_meta"] = TILE_META_LAYER
        zoom_in = label("tiles_zoom_in", lang).format(min_zoom=TILE_MIN_ZOOM)
        spec["tile_notes"] = {"zoom_in": f"{zoom_in} {layer_name(kind, lang)}",
                              "capped": f"{layer_name(kind, lang)}：{label('tiles_capped', lang)}"
                              if lang == "zh" else
                              f"{layer_name(kind, lang)}: {label('tiles_capped', lang)}"}
        spec_js = escape_json_for_script(json.dumps(spec, ensure_ascii=False))
        display = f"{layer_name(kind, lang)} ({len(gdf)})"
        _TileLayer(_esc(display), url, spec_js, show=show, key=key).add_to(m)
        if isinstance(gdf, TiledLayer):  # a summary: the page never reads the geometries
            present: set[str] = set(gdf.classes)
        else:
            present = ({str(v) for v in gdf[style.class_field].dropna().unique()}
                       if style.class_field and style.class_field in gdf.columns else set())
        classes = [c for c in style.class_colors if c in present]
        entry = _legend_entry(display, style, SPECS[kind].geometry, classes, lang,
                              label("vector_tiles", lang).format(
                                  min_zoom=TILE_MIN_ZOOM, detail_zoom=TILE_DETAIL_ZOOM,
                                  max_features=f"{TILE_MAX_FEATURES:,}"))
        legend.append(f'<div class="tanmap-legend-entry" data-key="{_esc(key)}">{entry}</div>')
        if gdf.sample if isinstance(gdf, TiledLayer) else _sample_rows(gdf).any():
            found_sample.append(display)

    def add_kind(kind: LayerKind, gdf: gpd.GeoDataFrame | TiledLayer) -> None:
        if kind.value in tiled:
            add_tiled(kind, gdf, tiled[kind.value])
            return
        if isinstance(gdf, TiledLayer):
            raise ValueError(f"layer {kind.value} is a tile summary but has no tile URL in tiled")
        note = label("age_band", lang) if kind is LayerKind.HEATING_PIPE else None
        add(gdf, layer_name(kind, lang), style_for(kind), SPECS[kind].geometry, kind,
            synthetic=sample, hidden_by_default=kind in HIDDEN_AT_START, key=kind.value,
            note=note)

    polygon_kinds = [(k, g) for k, g in kinds if SPECS[k].geometry is GeometryFamily.POLYGON]
    other_kinds = [(k, g) for k, g in kinds if SPECS[k].geometry is not GeometryFamily.POLYGON]
    for kind, gdf in polygon_kinds:
        add_kind(kind, gdf)
    if units is not None and LayerKind.SUBDISTRICT not in {k for k, _ in kinds}:
        add_kind(LayerKind.SUBDISTRICT, units)
    for result_name, gdf in (coverage or {}).items():
        style = OVERLAY_STYLES.get(result_name, OVERLAY_STYLES["service_areas"])
        title = (
            label(result_name, lang, both=True) if result_name in OVERLAY_STYLES else result_name
        )
        add(gdf, title, style, GeometryFamily.POLYGON, None, synthetic=sample,
            key=str(result_name))
    if carbon is not None and LayerKind.BUILDING.value not in tiled:
        b_frame, b_classes = classed_buildings(carbon.buildings, k=carbon.k, scheme=carbon.scheme)
        colors = {"none": NO_DATA_COLOR}
        extra: dict[str, dict[str, Any]] = {}
        for i, c in enumerate(b_classes.colors):
            colors[f"c{i}"] = colors[f"c{i}_est"] = c
            extra[f"c{i}_est"] = {"dashArray": ESTIMATED_DASH, "color": "#424242",
                                  "weight": 1.5}
        add(b_frame, label("carbon_buildings", lang, both=True),
            LayerStyle("#616161", NO_DATA_COLOR, weight_px=0.8, fill_opacity=0.8),
            GeometryFamily.POLYGON, LayerKind.BUILDING, synthetic=sample,
            class_field="carbon_class", class_colors=colors, legend_classes=False,
            key="carbon_buildings", class_extra=extra)
        append_ranges([*((c, f"{t} tCO₂/m²") for c, t in legend_ranges(
                          b_classes, b_frame["tco2_per_m2"].tolist())),
                       (NO_DATA_COLOR, label("no_emission_data", lang))])
        legend[-1] = (legend[-1][: -len("</div>")] + '<div class="sub"><small>'
                      + _esc(label("estimated_dashed", lang)) + "</small></div></div>")
        top = b_frame[b_frame["top_rank"].notna()] if "top_rank" in b_frame.columns else None
        if top is not None and len(top):
            add(top.drop(columns=["carbon_class"]), label("top_emitters", lang, both=True),
                LayerStyle("#b71c1c", "#b71c1c", weight_px=3.0, fill_opacity=0.0),
                GeometryFamily.POLYGON, LayerKind.BUILDING, synthetic=sample,
                key="top_emitters")
    for kind, gdf in other_kinds:
        add_kind(kind, gdf)

    # The district boundary is real (bundled Amap boundary), drawn last so it stays on top.
    boundary_style = style_for(LayerKind.DISTRICT)
    add(district, label("boundary", lang, both=True) + f" {d_name}", boundary_style,
        GeometryFamily.POLYGON, LayerKind.DISTRICT, synthetic=False, key="boundary")

    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    for plugin in (
        folium.plugins.Fullscreen(position="topleft"),  # type: ignore[no-untyped-call]
        folium.plugins.MeasureControl(  # type: ignore[no-untyped-call]
            position="topleft", primary_length_unit="meters", secondary_length_unit="kilometers",
            primary_area_unit="sqmeters", secondary_area_unit="hectares",
            localization="cn" if lang == "zh" else "en",
        ),
    ):
        plugin.default_js = []
        plugin.default_css = []
        plugin.add_to(m)

    html_root = root.html
    if sources:
        shown = list(sources)[:_MAX_SOURCES]
        legend.append(f'<div class="tanmap-sources"><small>{_esc(label("sources", lang))}: '
                      f"{'; '.join(_esc(s) for s in shown)}</small></div>")
    if any(OSM_CREDIT_MARK in s for s in sources):
        # ODbL 1.0 asks for the credit wherever OSM data is shown: on the map itself too.
        # After the map's own script has defined it (parser scripts run before the event).
        root.script.add_child(_Raw(
            'document.addEventListener("DOMContentLoaded", function () { '
            f"{m.get_name()}.attributionControl.addAttribution({json.dumps(OSM_CREDIT_HTML)});"
            " });"
        ), name="tanmap_osm_credit")
    if statuses & set(STATUS_STYLES):
        legend.append(_status_legend_html(lang))
    if shift:
        legend.append(f"<div><small>{_esc(label('gcj_note', lang))}</small></div>")
    if basemap_links:
        legend.append(_basemap_links_html(basemap_links, basemap, lang))
    html_root.add_child(_Raw(_legend_html(legend, lang)), name="tanmap_legend")
    if audit_summary:
        html_root.add_child(_Raw(_audit_html(audit_summary, lang)), name="tanmap_audit")
    if sample or found_sample:
        html_root.add_child(_Raw(_banner_html(lang)), name="tanmap_banner")
    html_root.add_child(_Raw(_tools_html(
        lang, theme=theme, horizon=horizon, horizon_links=horizon_links, rule=rule,
        rule_links=rule_links,
    )), name="tanmap_tools")
    title = " · ".join(t for t in (bilingual(d_name, d_name_en, lang).strip(),
                                   _horizon_label(horizon, lang)) if t)
    html_root.add_child(_Raw(
        f'<div class="tanmap-panel tanmap-print-title" id="tanmap-print-title" '
        f'style="display:none">{_esc(title)}</div>'), name="tanmap_print_title")
    adcode = str(district["adcode"].iloc[0]) if "adcode" in district.columns else "map"
    m.add_child(_Setup({
        "themes": {t.key: list(t.layers) for t in THEMES},
        "always": sorted(ALWAYS_SHOWN),
        "theme": theme,
        "labels": {"print": label("print", lang), "no_match": label("no_match", lang)},
        "file_name": f"tanmap_{adcode}_{horizon}",
    }), name="tanmap_setup")
    m.fit_bounds([[south, west], [north, east]])
    return m


class _RasterOverlay(Layer):
    """A raster image overlay registered with the page helper (themes, legend sync)."""

    def __init__(self, name: str, url: str, bounds: Sequence[Sequence[float]], *, key: str,
                 show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "TanmapRaster"
        self.url, self.bounds, self.key = url, bounds, key

    def render(self, **kwargs: Any) -> Any:
        if self.show and self._parent is not None:
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=self._parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        figure = self.get_root()
        if isinstance(figure, Figure):
            var = self.get_name()
            args = escape_json_for_script(json.dumps(
                [self.url, self.bounds, {"opacity": 0.7, "interactive": False}]))
            key = escape_json_for_script(json.dumps(self.key))
            figure.script.add_child(_Raw(
                f"var {var} = L.imageOverlay.apply(null, {args});\n"
                f'tanmap.register({key}, {var}, {{"interactive": false}});'), name=var)
        for child in self._children.values():
            child.render(**kwargs)


def _png_data_uri(rgba: np.ndarray) -> str:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba, dtype=np.uint8), mode="RGBA").save(
        buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _add_raster(m: folium.Map, image: RasterImage, *, lang: str, shift: bool,
                legend: list[str], shown_keys: set[str] | None) -> None:
    west, south, east, north = image.bounds
    if shift:  # display only: the overlay follows the GCJ-02 tiles like the vector layers
        xs, ys = wgs84_to_gcj02(np.array([west, east]), np.array([south, north]))
        west, east, south, north = float(xs[0]), float(xs[1]), float(ys[0]), float(ys[1])
    key = f"raster_{image.kind}"
    zh, en, _unit = RASTER_LABELS[RasterKind(image.kind)]
    name = bilingual(zh, en, lang)
    show = True if shown_keys is None else key in shown_keys
    _RasterOverlay(_esc(name), _png_data_uri(image.rgba), [[south, west], [north, east]],
                   key=key, show=show).add_to(m)
    rows = "".join(f'<div class="sub">{_swatch(c)}{_esc(text)}</div>' for c, text in image.legend)
    legend.append(f'<div class="tanmap-legend-entry" data-key="{_esc(key)}"><div>'
                  f"{_swatch(image.legend[0][0] if image.legend else '#999999')}{_esc(name)} "
                  f"<small>({_esc(image.source)})</small></div>{rows}</div>")


def _choropleth_frame(
    unit_coverage: pd.DataFrame | gpd.GeoDataFrame,
    units: gpd.GeoDataFrame | None,
    share_column: str,
    lang: str = "zh",
) -> gpd.GeoDataFrame:
    if share_column not in unit_coverage.columns:
        raise ValueError(
            f"unit_coverage has no {share_column!r} column (columns: "
            f"{list(unit_coverage.columns)}); pass unit_share_column=<the share column>"
        )
    if isinstance(unit_coverage, gpd.GeoDataFrame):
        frame = unit_coverage
    else:
        if units is None:
            raise ValueError(
                "unit_coverage is a table without geometry and no sub-district units were "
                "given; pass units=<街道 GeoDataFrame with id> or layers['subdistrict']"
            )
        if "unit_id" not in unit_coverage.columns:
            raise ValueError(
                f"unit_coverage has no 'unit_id' column to join on units.id "
                f"(columns: {list(unit_coverage.columns)})"
            )
        table = pd.DataFrame(unit_coverage).copy()
        table["unit_id"] = table["unit_id"].astype(str)
        geo = units[["id", units.geometry.name]].assign(id=units["id"].astype(str))
        frame = geo.merge(table, left_on="id", right_on="unit_id", how="inner")
        frame = gpd.GeoDataFrame(frame, geometry=units.geometry.name, crs=units.crs)
    shares = pd.to_numeric(frame[share_column], errors="coerce")
    keep = ([c for c in ("unit_id", "unit_name") if c in frame.columns]
            or [c for c in ("id", "name") if c in frame.columns])
    # The figures behind the share, rounded to whole square metres for reading.
    figures = {c: pd.to_numeric(frame[c], errors="coerce").round(0)
               for c in ("residential_m2", "covered_m2") if c in frame.columns}
    if "error_bound_m2" in frame.columns:
        figures["error_bound_m2"] = pd.to_numeric(frame["error_bound_m2"], errors="coerce").round(2)
    if "threshold_met" in frame.columns:
        # A unit below its threshold only by less than its area bound is not a bare failure.
        within = (frame["met_within_error_bound"].fillna(False).astype(bool)
                  if "met_within_error_bound" in frame.columns
                  else pd.Series(False, index=frame.index))
        figures["unit_verdict"] = [
            None if pd.isna(m) else label("unit_met" if bool(m) else "unit_met_within_bound"
                                          if w else "unit_not_met", lang)
            for m, w in zip(frame["threshold_met"], within, strict=True)]
    out = gpd.GeoDataFrame(
        frame[keep].assign(
            **figures,
            share_pct=[None if pd.isna(s) else format_share(float(s), lang) for s in shares],
            coverage_class=[coverage_color(None if pd.isna(s) else float(s)) for s in shares],
        ),
        geometry=frame.geometry.values,
        crs=frame.crs,
    )
    return out
