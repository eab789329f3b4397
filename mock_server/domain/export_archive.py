"""The zip of an export, laid out as RSpace lays out its HTML and XML archives
(``ArchiveNamingStrategy``, ``ArchiveFileNameData``, ``HTMLArchiveExporter``,
``XMLArchiveExportManagerServiceImpl``, ``RelativeLinkProcessor`` in rspace-web).

Everything sits in one top folder named as the zip is: ``manifest.txt`` (sorted ``key:value``
lines), ``resources/``, and one ``doc_<name>-<id>/`` folder per document holding
``doc_<name>-<id>.html`` (or ``.xml`` and ``_form.xml``). An HTML archive has ``index.html`` and
``a-zIndex.html``; an XML one ``documentSchema.xsd``, ``formSchema.xsd``, ``folderTree.xml`` and
``linkResolver.xml``. A selection's attachments go into their document's folder; a user's or a
group's into ``media_<name>-<id>/`` folders of their own.

Simplification: the pages and XML documents hold each document's name, dates, form and fields
as RSpace's do, but are the fake's own, smaller renderings; the schemas describe them.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from .models import Document, Folder, Form, MediaFile, User

NAME_LENGTH = 50


def item_folder_name(prefix: str, name: str, item_id: int) -> str:
    """``ArchiveFileNameData.toFileName``: what is not a letter, digit, space, ``_`` or ``-``
    goes, runs of spaces and underscores become ``-``, cut to 50 characters."""
    kept = re.sub(r"[^A-Za-z0-9\s_-]", "", name)
    kept = re.sub(r"[\s_]+", "-", kept)[:NAME_LENGTH].replace(".", "")
    return f"{prefix}_{kept}-{item_id}"


def archive_name(moment: datetime, export_format: str, label: str, suffix: str) -> str:
    """``RSpace-<yyyy-MM-dd-HH-mm>-<format>-<label>-<suffix>``, without ``.zip``."""
    stem = f"RSpace-{moment:%Y-%m-%d-%H-%M}-{export_format}-{label}-"
    return re.sub(r"[^A-Za-z0-9-]", "", stem) + suffix


@dataclass(frozen=True)
class ExportedDocument:
    document: Document
    owner: User
    form: Form | None
    #: The files its fields show, with their bytes.
    files: Sequence[tuple[MediaFile, bytes]]


@dataclass(frozen=True)
class ArchiveRequest:
    name: str
    export_format: str
    #: ``USER``, ``GROUP`` or ``SELECTION``.
    scope: str
    exporter: User
    source_url: str
    rspace_version: str
    exported_at: datetime
    archive_id: str
    documents: Sequence[ExportedDocument]
    folders: Sequence[Folder]


def build_archive(request: ArchiveRequest) -> bytes:
    top = request.name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def put(path: str, data: str | bytes) -> None:
            archive.writestr(f"{top}/{path}", data)

        archive.writestr(f"{top}/", b"")
        put("manifest.txt", _manifest(request))
        put("resources/document.css", "body { font-family: sans-serif; }\n")
        media_in_own_folder = request.scope != "SELECTION"
        written_media: set[int] = set()
        entries: list[tuple[str, str]] = []
        for exported in request.documents:
            folder = item_folder_name("doc", exported.document.name, exported.document.id)
            links: dict[int, str] = {}
            for file, data in exported.files:
                if media_in_own_folder:
                    media = item_folder_name("media", file.name, file.id)
                    links[file.id] = f"../{media}/{file.name}"
                    if file.id not in written_media:
                        written_media.add(file.id)
                        put(f"{media}/{file.name}", data)
                else:
                    links[file.id] = file.name
                    put(f"{folder}/{file.name}", data)
            if request.export_format == "html":
                put(f"{folder}/{folder}.html", _document_html(exported, links))
            else:
                put(f"{folder}/{folder}.xml", _document_xml(exported, links))
                put(f"{folder}/{folder}_form.xml", _form_xml(exported.form))
            entries.append((exported.document.name, f"{folder}/{folder}.{request.export_format}"))
        if request.export_format == "html":
            put("index.html", _index_html("Export Root", entries))
            put(
                "a-zIndex.html",
                _index_html("A-Z index", sorted(entries, key=lambda e: e[0].lower())),
            )
        else:
            put("documentSchema.xsd", DOCUMENT_SCHEMA)
            put("formSchema.xsd", FORM_SCHEMA)
            put("folderTree.xml", _folder_tree(request.folders, request.documents))
            put("linkResolver.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<links/>\n')
    return buffer.getvalue()


def _manifest(request: ArchiveRequest) -> str:
    exporter = request.exporter
    values = {
        "Database version": "1",
        "Exported by": f"{exporter.first_name} {exporter.last_name}",
        "RSPace application version": request.rspace_version,
        "Source URL": request.source_url,
        "archiveId": request.archive_id,
        "archiveSource": "ResearchSpace",
        "exportDate": f"{request.exported_at:%Y-%m-%d}",
        "scope": request.scope,
    }
    return "".join(f"{key}:{value}\n" for key, value in sorted(values.items()))


def _document_html(exported: ExportedDocument, links: Mapping[int, str]) -> str:
    document = exported.document
    parts = [
        "<!DOCTYPE html>",
        f"<html><head><meta charset='UTF-8'><title>{html.escape(document.name)}</title>",
        "<link rel='stylesheet' href='../resources/document.css'></head><body>",
        f"<h1>{html.escape(document.name)}</h1>",
        f"<p>Global ID: {document.global_id} &middot; Owner: "
        f"{html.escape(exported.owner.username)} &middot; Created: "
        f"{document.created:%Y-%m-%dT%H:%M:%SZ} &middot; Last modified: "
        f"{document.last_modified:%Y-%m-%dT%H:%M:%SZ}</p>",
    ]
    if document.tags:
        parts.append(f"<p>Tags: {html.escape(document.tags)}</p>")
    for field in document.fields:
        parts.append(f"<h2>{html.escape(field.name)}</h2>")
        content = field.content if field.type == "text" else html.escape(field.content)
        parts.append(f"<div class='field'>{content}</div>")
    if links:
        parts.append("<h2>Attachments</h2><ul>")
        parts += [
            f"<li><a href='{html.escape(href)}'>{html.escape(href)}</a></li>"
            for href in links.values()
        ]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _document_xml(exported: ExportedDocument, links: Mapping[int, str]) -> str:
    document = exported.document
    fields = "".join(
        f"  <field id={quoteattr(str(f.id))} type={quoteattr(f.type)}>\n"
        f"    <name>{escape(f.name)}</name>\n"
        f"    <content>{escape(f.content)}</content>\n"
        "  </field>\n"
        for f in document.fields
    )
    files = "".join(f"  <attachment href={quoteattr(href)}/>\n" for href in links.values())
    form = exported.form.global_id if exported.form else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<document id={quoteattr(document.global_id)} "
        f"version={quoteattr(str(document.version))}>\n"
        f"  <name>{escape(document.name)}</name>\n"
        f"  <owner>{escape(exported.owner.username)}</owner>\n"
        f"  <form>{escape(form)}</form>\n"
        f"  <created>{document.created:%Y-%m-%dT%H:%M:%SZ}</created>\n"
        f"  <lastModified>{document.last_modified:%Y-%m-%dT%H:%M:%SZ}</lastModified>\n"
        f"  <tags>{escape(document.tags or '')}</tags>\n"
        f"{fields}{files}"
        "</document>\n"
    )


def _form_xml(form: Form | None) -> str:
    if form is None:
        return '<?xml version="1.0" encoding="UTF-8"?>\n<form/>\n'
    fields = "".join(
        f"  <fieldDefinition name={quoteattr(f.name)} type={quoteattr(f.type)}/>\n"
        for f in form.fields
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<form id={quoteattr(form.global_id)} stableId={quoteattr(form.stable_id)} "
        f"version={quoteattr(str(form.version))}>\n"
        f"  <name>{escape(form.name)}</name>\n{fields}</form>\n"
    )


def _index_html(title: str, entries: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f"<li><a href='{html.escape(path)}'>{html.escape(name)}</a></li>\n"
        for name, path in entries
    )
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='UTF-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1>\n<ul>\n{items}</ul></body></html>\n"
    )


def _folder_tree(folders: Sequence[Folder], documents: Sequence[ExportedDocument]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<folderTree>"]
    for folder in folders:
        kind = "NOTEBOOK" if folder.notebook else "FOLDER"
        lines.append(
            f"  <record id={quoteattr(folder.global_id)} type={quoteattr(kind)} "
            f"parent={quoteattr(str(folder.parent_id or ''))} name={quoteattr(folder.name)}/>"
        )
    for exported in documents:
        document = exported.document
        lines.append(
            f'  <record id={quoteattr(document.global_id)} type="DOCUMENT" '
            f"parent={quoteattr(str(document.parent_folder_id))} name={quoteattr(document.name)}/>"
        )
    lines.append("</folderTree>")
    return "\n".join(lines) + "\n"


DOCUMENT_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:element name="document">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="name" type="xs:string"/>
        <xs:element name="owner" type="xs:string"/>
        <xs:element name="form" type="xs:string"/>
        <xs:element name="created" type="xs:dateTime"/>
        <xs:element name="lastModified" type="xs:dateTime"/>
        <xs:element name="tags" type="xs:string"/>
        <xs:element name="field" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="name" type="xs:string"/>
              <xs:element name="content" type="xs:string"/>
            </xs:sequence>
            <xs:attribute name="id" type="xs:long"/>
            <xs:attribute name="type" type="xs:string"/>
          </xs:complexType>
        </xs:element>
        <xs:element name="attachment" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType><xs:attribute name="href" type="xs:string"/></xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attribute name="id" type="xs:string"/>
      <xs:attribute name="version" type="xs:int"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

FORM_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:element name="form">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="name" type="xs:string" minOccurs="0"/>
        <xs:element name="fieldDefinition" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:attribute name="name" type="xs:string"/>
            <xs:attribute name="type" type="xs:string"/>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attribute name="id" type="xs:string"/>
      <xs:attribute name="stableId" type="xs:string"/>
      <xs:attribute name="version" type="xs:int"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""
