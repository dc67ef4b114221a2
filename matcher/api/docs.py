"""Swagger UI at ``/api/docs``, served from the vendored swagger-ui-dist (no CDN)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
def swagger_ui():
    return render_template("api_docs.html")
