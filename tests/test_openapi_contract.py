"""The OpenAPI document is the contract: every JSON answer is a documented envelope, and the
SDK's models, the SDK's methods and the MCP tools' inputs agree with it.

The SDK and the MCP server may not import server code, so they define their shapes again;
these tests hold those definitions against the document the server generates from its own
response models, so a field renamed, added or retyped on one side fails here.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tests.conftest import make_settings
from xqr.app import create_app
from xqr.client import AsyncXQR
from xqr.client import _models as sdk
from xqr.mcp import schemas as mcp_schemas
from xqr.mcp.server import build_server
from xqr.mcp.tools import reports as mcp_reports

API = "/api/v1"
COMPONENTS = "#/components/schemas/"

# SDK model → the response schema it reads.
SDK_MODELS: dict[str, str] = {
    "Link": "LinkOut",
    "BulkItemError": "BulkError",
    "BulkResult": "BulkOut",
    "BulkBatch": "BatchOut",
    "QRDesign": "DesignOut",
    "QRTemplate": "TemplateOut",
    "Asset": "AssetOut",
    "PresignedUpload": "PresignOut",
    "Webhook": "WebhookWithSecretOut",
    "DeliveryAttempt": "AttemptOut",
    "Delivery": "DeliveryOut",
    "Workspace": "WorkspaceOut",
    "Member": "MemberOut",
    "UsageItem": "UsedVsLimit",
    "ApiCallsUsage": "ApiCallsUsage",
    "Usage": "UsageOut",
    "BioLink": "BioLinkOut",
    "BioPage": "BioPageOut",
    "BioTheme": "ThemeOut",
    "BioIcon": "IconOut",
    "BioLinkStats": "BioLinkStats",
    "BioStatsPoint": "BioStatsPoint",
    "BioPageStats": "BioStatsOut",
    "TimeseriesPoint": "Point",
    "TrendPoint": "TrendPoint",
    "CountryShare": "CountryShare",
    "NamedShare": "NamedShare",
    "DeviceBreakdown": "DevicesOut",
    "PreviousPeriod": "PreviousPeriod",
    "PeriodChange": "Change",
    "AnalyticsSummary": "SummaryOut",
    "TopLink": "TopLinkOut",
    "LinkStats": "LinkStatsOut",
    "LinkHealth": "HealthOut",
    "QRCheck": "CheckReport",
    "Report": "ReportOut",
    "ReportSchedule": "ScheduleOut",
    "ReportFile": "RunFileOut",
    "ReportRun": "RunOut",
    "Domain": "DomainOut",
    "DomainVerification": "VerificationOut",
}
# `Webhook` also reads the answers without the secret (its `signing_secret` is then None).
ALSO_READS = {"Webhook": "WebhookOut"}
# Response schemas the SDK deliberately hands over as plain dicts.
SDK_PLAIN_DICTS = {
    "RoutingRuleOut",  # Link.routing_rules: the same dicts a request sends
    "ConditionsOut",
    "HoursOut",
    "BatchItemOut",  # BulkBatch.results
    "ThemeColors",  # BioTheme.colors
    "UtmOut",  # Link.utm and Link.preview: the same dicts a request sends
    "PreviewOut",
    "EyeColorOut",  # QRDesign.eye_color, .gradient and .frame: the same dicts a request sends
    "GradientOut",
    "FrameOut",
    "DateRangeOut",  # Report.period when it is a date range
    "TlsAskOut",  # the proxies' certificate check; not an SDK call
}

# SDK method → the operation it calls.
SDK_OPERATIONS: dict[str, tuple[str, str]] = {
    "links.create": ("post", "/links"),
    "links.list": ("get", "/links"),
    "links.get": ("get", "/links/{link_id}"),
    "links.update": ("patch", "/links/{link_id}"),
    "links.delete": ("delete", "/links/{link_id}"),
    "links.bulk_create": ("post", "/links/bulk"),
    "links.bulk_status": ("get", "/links/bulk/{batch_id}"),
    "links.qr": ("get", "/links/{link_id}/qr"),
    "qr.generate": ("post", "/qr/generate"),
    "qr.templates.create": ("post", "/qr/templates"),
    "qr.templates.list": ("get", "/qr/templates"),
    "qr.templates.get": ("get", "/qr/templates/{template_id}"),
    "qr.templates.update": ("patch", "/qr/templates/{template_id}"),
    "qr.templates.delete": ("delete", "/qr/templates/{template_id}"),
    "qr.templates.render": ("post", "/qr/templates/{template_id}/render"),
    "analytics.summary": ("get", "/analytics/summary"),
    "analytics.timeseries": ("get", "/analytics/timeseries"),
    "analytics.geography": ("get", "/analytics/geography"),
    "analytics.devices": ("get", "/analytics/devices"),
    "analytics.top_links": ("get", "/analytics/top-links"),
    "analytics.link_stats": ("get", "/analytics/links/{link_id}"),
    "bio.pages.create": ("post", "/bio/pages"),
    "bio.pages.list": ("get", "/bio/pages"),
    "bio.pages.get": ("get", "/bio/pages/{page_id}"),
    "bio.pages.update": ("patch", "/bio/pages/{page_id}"),
    "bio.pages.delete": ("delete", "/bio/pages/{page_id}"),
    "bio.pages.publish": ("post", "/bio/pages/{page_id}/publish"),
    "bio.pages.unpublish": ("post", "/bio/pages/{page_id}/unpublish"),
    "bio.pages.stats": ("get", "/bio/pages/{page_id}/stats"),
    "bio.themes": ("get", "/bio/themes"),
    "bio.icons": ("get", "/bio/icons"),
    "assets.presign": ("post", "/assets/presign"),
    "assets.confirm": ("post", "/assets/{asset_id}/confirm"),
    "assets.get": ("get", "/assets/{asset_id}"),
    "assets.list": ("get", "/assets"),
    "assets.delete": ("delete", "/assets/{asset_id}"),
    "assets.publish": ("post", "/assets/{asset_id}/publish"),
    "webhooks.create": ("post", "/webhooks"),
    "webhooks.list": ("get", "/webhooks"),
    "webhooks.get": ("get", "/webhooks/{webhook_id}"),
    "webhooks.update": ("patch", "/webhooks/{webhook_id}"),
    "webhooks.delete": ("delete", "/webhooks/{webhook_id}"),
    "webhooks.deliveries": ("get", "/webhooks/{webhook_id}/deliveries"),
    "webhooks.get_delivery": ("get", "/webhooks/{webhook_id}/deliveries/{delivery_id}"),
    "webhooks.retry": ("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"),
    "webhooks.test": ("post", "/webhooks/{webhook_id}/test"),
    "webhooks.rotate_secret": ("post", "/webhooks/{webhook_id}/rotate-secret"),
    "workspace.get": ("get", "/workspace"),
    "workspace.members": ("get", "/workspace/members"),
    "workspace.usage": ("get", "/workspace/usage"),
    "qr.check": ("post", "/qr/check"),
    "qr.bulk": ("post", "/qr/bulk"),
    "reports.create": ("post", "/reports"),
    "reports.list": ("get", "/reports"),
    "reports.get": ("get", "/reports/{report_id}"),
    "reports.update": ("patch", "/reports/{report_id}"),
    "reports.delete": ("delete", "/reports/{report_id}"),
    "reports.run": ("post", "/reports/{report_id}/runs"),
    "reports.runs": ("get", "/reports/{report_id}/runs"),
    "reports.get_run": ("get", "/reports/runs/{run_id}"),
    "reports.download": ("get", "/reports/runs/{run_id}/download"),
    "domains.create": ("post", "/domains"),
    "domains.list": ("get", "/domains"),
    "domains.get": ("get", "/domains/{domain_id}"),
    "domains.update": ("patch", "/domains/{domain_id}"),
    "domains.delete": ("delete", "/domains/{domain_id}"),
    "domains.verify": ("post", "/domains/{domain_id}/verify"),
}
# SDK conveniences built on other calls, and its transport.
SDK_NOT_AN_OPERATION = {
    "close",
    "request",
    "put_file",
    "assets.upload",
    *(
        f"{name}.iter"
        for name in ("links", "qr.templates", "bio.pages", "assets", "webhooks", "domains")
    ),
    "webhooks.iter_deliveries",
    "workspace.iter_members",
    "reports.iter",
    "reports.wait_for_run",
}
# SDK parameters that are not API fields.
SDK_LOCAL_PARAMETERS = {"page_size"}

# MCP tool → the operation it calls (tools send what the API takes, under the same names).
MCP_OPERATIONS: dict[str, tuple[str, str]] = {
    "create_link": ("post", "/links"),
    "list_links": ("get", "/links"),
    "get_link": ("get", "/links/{link_id}"),
    "update_link": ("patch", "/links/{link_id}"),
    "delete_link": ("delete", "/links/{link_id}"),
    "bulk_create_links": ("post", "/links/bulk"),
    "get_link_qr": ("get", "/links/{link_id}/qr"),
    "generate_qr": ("post", "/qr/generate"),
    "list_qr_templates": ("get", "/qr/templates"),
    "create_qr_template": ("post", "/qr/templates"),
    "render_qr_template": ("post", "/qr/templates/{template_id}/render"),
    "analytics_summary": ("get", "/analytics/summary"),
    "analytics_link_stats": ("get", "/analytics/links/{link_id}"),
    "analytics_timeseries": ("get", "/analytics/timeseries"),
    "analytics_geography": ("get", "/analytics/geography"),
    "analytics_devices": ("get", "/analytics/devices"),
    "analytics_top_links": ("get", "/analytics/top-links"),
    "list_bio_pages": ("get", "/bio/pages"),
    "get_bio_page": ("get", "/bio/pages/{page_id}"),
    "create_bio_page": ("post", "/bio/pages"),
    "update_bio_page": ("patch", "/bio/pages/{page_id}"),
    "publish_bio_page": ("post", "/bio/pages/{page_id}/publish"),
    "list_assets": ("get", "/assets"),
    "get_asset": ("get", "/assets/{asset_id}"),
    "publish_asset": ("post", "/assets/{asset_id}/publish"),
    "delete_asset": ("delete", "/assets/{asset_id}"),
    "get_workspace": ("get", "/workspace"),
    "get_workspace_usage": ("get", "/workspace/usage"),
    "list_workspace_members": ("get", "/workspace/members"),
    "check_qr": ("post", "/qr/check"),
    "list_reports": ("get", "/reports"),
    "create_report": ("post", "/reports"),
    "run_report": ("post", "/reports/{report_id}/runs"),
    "get_report_run": ("get", "/reports/runs/{run_id}"),
    "list_domains": ("get", "/domains"),
    "create_domain": ("post", "/domains"),
    "verify_domain": ("post", "/domains/{domain_id}/verify"),
}
# MCP input models → the request schema they stand for. The MCP models offer each field in
# its one canonical place; the API also reads these other places (aliases).
MCP_INPUT_MODELS: dict[str, str] = {
    "RoutingRule": "RoutingRule",
    "Conditions": "RuleConditions",
    "Hours": "RuleHours",
    "BulkLink": "LinkCreate",  # the fields of a link a bulk item may have
    "BioLinkIn": "BioLinkIn",
    "Design": "DesignIn",
    "Utm": "Utm",
    "Preview": "Preview",
    "EyeColor": "EyeColorIn",
    "Gradient": "GradientIn",
    "Frame": "FrameIn",
    "DateRange": "DateRange",
    "Schedule": "ScheduleIn",
}
# Tool parameters that are not API fields.
# Each sends its field as null.
MCP_LOCAL_PARAMETERS = {
    ("update_link", "clear_expiry"),
    ("update_link", "clear_expired_url"),
    ("update_link", "clear_password"),
    ("update_link", "clear_utm"),
    ("update_link", "clear_preview"),
}
API_ALIASES = {
    ("RoutingRule", "timezone"),
    ("RoutingRule", "expires_at"),
    ("RuleConditions", "timezone"),
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("openapi")
    settings = make_settings(f"sqlite+aiosqlite:///{folder}/x.db", Path(folder) / "data")
    return create_app(settings).api.openapi()


# --- reading schemas ---------------------------------------------------------------------------


class Schemas:
    """Schemas of one side, resolving its `$ref`s.

    `names` maps the side's model names to the API's (and `also` the API's names to further
    models of the side that read them); `omits_null` says the side never sends a null (the MCP
    tools leave out what is None).
    """

    def __init__(
        self,
        definitions: dict[str, Any],
        prefix: str,
        names: dict[str, str] | None = None,
        *,
        also: dict[str, str] | None = None,
        omits_null: bool = False,
    ) -> None:
        self.definitions = definitions
        self.prefix = prefix
        self.names = names
        self.also = also or {}
        self.omits_null = omits_null

    def name(self, ref: str) -> str:
        own = ref.removeprefix(self.prefix)
        return own if self.names is None else self.names.get(own, f"<unmapped {own}>")

    def model(self, name: str) -> dict[str, Any]:
        if self.names is None:
            return dict(self.definitions[name])
        if name in self.also:
            return dict(self.definitions[self.also[name]])
        [own] = [key for key, value in self.names.items() if value == name and key in self]
        return dict(self.definitions[own])

    def __contains__(self, own: str) -> bool:
        return own in self.definitions


def alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema as a list of plain alternatives (anyOf/oneOf flattened)."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [alt for option in schema[key] for alt in alternatives(option)]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return alternatives(schema["allOf"][0])
    if isinstance(schema.get("type"), list):
        return [{**schema, "type": kind} for kind in schema["type"]]
    return [schema]


def kind(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return "model"
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        return {str: "string", int: "integer", bool: "boolean"}.get(type(values[0]), "any")
    return str(schema.get("type", "any"))


def accepts(
    consumer: dict[str, Any],
    consumer_side: Schemas,
    producer: dict[str, Any],
    producer_side: Schemas,
    where: str,
) -> list[str]:
    """What the producer may send that the consumer would not take (empty: all is taken)."""
    problems: list[str] = []
    options = alternatives(consumer)
    for sent in alternatives(producer):
        if producer_side.omits_null and kind(sent) == "null":
            continue
        found = [
            accepts_one(option, consumer_side, sent, producer_side, where) for option in options
        ]
        if all(found):
            # Explain with the alternative of the same kind, when there is one.
            alike = [
                f for f, option in zip(found, options, strict=True) if kind(option) == kind(sent)
            ]
            problems.extend(min(alike or found, key=len))
    return problems


def accepts_one(
    consumer: dict[str, Any],
    consumer_side: Schemas,
    sent: dict[str, Any],
    producer_side: Schemas,
    where: str,
) -> list[str]:
    taken, given = kind(consumer), kind(sent)
    if taken == "any":
        return []
    if given == "model" and taken == "object" and "properties" not in consumer:
        return []  # a plain dict takes any object
    if given != taken and not (given == "integer" and taken == "number"):
        return [f"{where}: sends {given}, takes {taken}"]
    if given == "string":
        if consumer.get("format") == "date-time" and sent.get("format") != "date-time":
            return [f"{where}: sends a string that is not always a date-time"]
        if "enum" in consumer and not set(sent.get("enum", [sent.get("const")])) <= set(
            consumer["enum"]
        ):
            return [f"{where}: sends values outside {consumer['enum']}"]
        return []
    if given == "array":
        return accepts(
            consumer.get("items", {}),
            consumer_side,
            sent.get("items", {}),
            producer_side,
            f"{where}[]",
        )
    if given == "model":
        consumer_name = consumer_side.name(consumer["$ref"])
        producer_name = producer_side.name(sent["$ref"])
        if consumer_name != producer_name:
            return [f"{where}: sends {producer_name}, takes {consumer_name}"]
        return model_accepts(consumer_side, producer_side, consumer_name, where)
    return []


def model_accepts(
    consumer_side: Schemas, producer_side: Schemas, name: str, where: str
) -> list[str]:
    consumer = consumer_side.model(name)
    producer = producer_side.model(name)
    taken = consumer.get("properties", {})
    sent = producer.get("properties", {})
    problems = [
        f"{where}.{field}: not taken"
        for field in sent
        if field not in taken and (name, field) not in API_ALIASES
    ]
    problems += [
        f"{where}.{field}: required but not always sent"
        for field in consumer.get("required", [])
        if field not in producer.get("required", [])
    ]
    for field, schema in sent.items():
        if field in taken:
            problems += accepts(
                taken[field], consumer_side, schema, producer_side, f"{where}.{field}"
            )
    return problems


def sdk_side() -> tuple[Schemas, dict[str, type[BaseModel]]]:
    models = {
        name: model
        for name, model in vars(sdk).items()
        if isinstance(model, type)
        and issubclass(model, sdk.XQRModel)
        and model.__module__ == sdk.__name__
        and model not in (sdk.XQRModel, sdk.Page)
    }
    definitions: dict[str, Any] = {}
    for name, model in models.items():
        schema = model.model_json_schema(mode="validation")
        definitions.update(schema.pop("$defs", {}))
        definitions[name] = schema
    also = {api: own for own, api in ALSO_READS.items()}
    return Schemas(definitions, "#/$defs/", SDK_MODELS, also=also), models


def api_side(document: dict[str, Any]) -> Schemas:
    return Schemas(document["components"]["schemas"], COMPONENTS)


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][API + path][method]
    return found


def body_schema(document: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    if "requestBody" not in op:
        return None
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema: dict[str, Any] = document["components"]["schemas"][ref.removeprefix(COMPONENTS)]
    return schema


def inputs(document: dict[str, Any], op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every name an operation takes: path and query parameters, body fields."""
    taken = {param["name"]: param["schema"] for param in op.get("parameters", [])}
    body = body_schema(document, op)
    if body is not None:
        taken.update(body["properties"])
    return taken


def success(op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(status, response)] = [(s, r) for s, r in op["responses"].items() if s.startswith("2")]
    return status, response


def walk_sdk(client: AsyncXQR) -> Iterator[tuple[str, Any]]:
    def visit(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
        for name in dir(obj):
            if name.startswith("_"):
                continue
            attr = getattr(obj, name)
            if type(attr).__module__ == "xqr.client._async_resources":
                yield from visit(attr, f"{prefix}{name}.")
            elif callable(attr) and not isinstance(attr, type):
                yield f"{prefix}{name}", attr

    return visit(client, "")


# --- the document ------------------------------------------------------------------------------


# Operations that answer a file (a report's CSV, JSON or PDF), not an envelope.
FILE_ANSWERS = {"GET /api/v1/reports/runs/{run_id}/download"}


def test_every_json_answer_is_documented_as_an_envelope(document: dict[str, Any]) -> None:
    problems = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            if where in FILE_ANSWERS:
                continue
            if "422" in op["responses"]:
                problems.append(f"{where}: documents 422; validation errors are 400")
            for status, response in op["responses"].items():
                content = response.get("content", {})
                if "application/json" not in content:
                    continue
                ref = content["application/json"]["schema"].get("$ref", "")
                name = ref.removeprefix(COMPONENTS)
                if status.startswith("2"):
                    expected = re.fullmatch(r"(List)?Envelope_\w+_", name)
                else:
                    expected = name == "ErrorEnvelope"
                if not expected:
                    problems.append(f"{where} {status}: {name or 'no named schema'}")
    assert not problems, "\n".join(problems)


def test_no_schema_is_left_unnamed_or_unused(document: dict[str, Any]) -> None:
    text = str(document["paths"]) + str(document["components"])
    unused = [
        name for name in document["components"]["schemas"] if f"{COMPONENTS}{name}'" not in text
    ]
    assert not unused


# --- the SDK -----------------------------------------------------------------------------------


def test_every_sdk_model_is_held_against_a_response_schema(document: dict[str, Any]) -> None:
    _, models = sdk_side()
    assert sorted(models) == sorted(SDK_MODELS)
    schemas = document["components"]["schemas"]
    assert all(name in schemas for name in SDK_MODELS.values())


def test_sdk_models_have_exactly_the_fields_of_their_schemas(document: dict[str, Any]) -> None:
    _, models = sdk_side()
    server = api_side(document)
    problems = []
    for own, name in SDK_MODELS.items():
        fields = set(models[own].model_fields)
        properties = set(server.definitions[name]["properties"])
        if fields != properties:
            problems.append(
                f"{own} ~ {name}: SDK only {sorted(fields - properties)}, "
                f"API only {sorted(properties - fields)}"
            )
    for own, name in ALSO_READS.items():
        missing = set(server.definitions[name]["properties"]) - set(models[own].model_fields)
        if missing:
            problems.append(f"{own} ~ {name}: API only {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_sdk_models_take_every_value_the_api_sends(document: dict[str, Any]) -> None:
    client_side, _ = sdk_side()
    server = api_side(document)
    problems = []
    for own, name in {**SDK_MODELS, **ALSO_READS}.items():
        problems += model_accepts(client_side, server, name, own)
    assert not problems, "\n".join(problems)


def test_every_response_schema_has_an_sdk_model_or_is_a_plain_dict(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    read = {*SDK_MODELS.values(), *ALSO_READS.values()}
    data_models = set()
    for name, schema in schemas.items():
        if re.fullmatch(r"(List)?Envelope_\w+_", name):
            data = schema["properties"]["data"]
            ref = data.get("$ref") or data.get("items", {}).get("$ref")
            data_models.add(ref.removeprefix(COMPONENTS))
    # Everything an answer's `data` contains, transitively.
    pending, seen = list(data_models), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending += [
            ref.removeprefix(COMPONENTS) for ref in re.findall(r"'(#/[^']+)'", str(schemas[name]))
        ]
    unread = sorted(seen - read - SDK_PLAIN_DICTS)
    assert not unread, f"response schemas without an SDK model: {unread}"


def test_sdk_methods_call_their_operation_with_its_names_and_read_its_answer(
    document: dict[str, Any],
) -> None:
    client = AsyncXQR(api_key="xqr_pk_00000000." + "a" * 64, base_url="http://testserver")
    methods = dict(walk_sdk(client))
    assert set(methods) - SDK_NOT_AN_OPERATION == set(SDK_OPERATIONS)
    problems = []
    for name, (method, path) in SDK_OPERATIONS.items():
        op = operation(document, method, path)
        taken = inputs(document, op)
        signature = inspect.signature(methods[name])
        for param, parameter in signature.parameters.items():
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                continue  # `**design`, `**fields`: API fields passed through by name
            if param not in taken and param not in SDK_LOCAL_PARAMETERS:
                problems.append(f"{name}({param}): not a parameter of {method.upper()} {path}")
        problems += _reads(name, str(signature.return_annotation), op)
    assert not problems, "\n".join(problems)


def _reads(name: str, annotation: str, op: dict[str, Any]) -> list[str]:
    status, response = success(op)
    content = response.get("content", {})
    if annotation == "None":
        return [] if status == "204" else [f"{name}: returns None for a {status}"]
    if annotation == "bytes":
        files = ("image/", "application/pdf", "application/zip", "text/csv")
        return [] if any(kind.startswith(files) for kind in content) else [f"{name}: bytes?"]
    envelope = content["application/json"]["schema"]["$ref"].removeprefix(COMPONENTS)
    if match := re.fullmatch(r"Page\[(\w+)\]", annotation):
        expected = f"ListEnvelope_{SDK_MODELS[match[1]]}_"
        if match[1] in ALSO_READS and envelope == f"ListEnvelope_{ALSO_READS[match[1]]}_":
            return []
    elif match := re.fullmatch(r"list\[(\w+)\]", annotation):
        expected = f"Envelope_list_{SDK_MODELS[match[1]]}__"
    else:
        expected = f"Envelope_{SDK_MODELS.get(annotation, annotation)}_"
        if annotation in ALSO_READS and envelope == f"Envelope_{ALSO_READS[annotation]}_":
            return []
    return [] if envelope == expected else [f"{name}: reads {annotation}, answer is {envelope}"]


# --- the MCP server ----------------------------------------------------------------------------


def mcp_models_side() -> Schemas:
    definitions: dict[str, Any] = {}
    for own in MCP_INPUT_MODELS:
        model: type[BaseModel] = getattr(mcp_schemas, own, None) or getattr(mcp_reports, own)
        schema = model.model_json_schema(mode="serialization")
        definitions.update(schema.pop("$defs", {}))
        definitions[own] = schema
    return Schemas(definitions, "#/$defs/", MCP_INPUT_MODELS, omits_null=True)


def test_the_api_takes_everything_the_mcp_input_models_send(document: dict[str, Any]) -> None:
    server = api_side(document)
    sent = mcp_models_side()
    problems = []
    for own, name in MCP_INPUT_MODELS.items():
        if own == "BulkLink":
            continue  # a subset of LinkCreate, checked below
        problems += model_accepts(server, sent, name, own)
    bulk = mcp_schemas.BulkLink.model_json_schema(mode="serialization")["properties"]
    link_create = server.definitions["LinkCreate"]["properties"]
    for field, schema in bulk.items():
        if field not in link_create:
            problems.append(f"BulkLink.{field}: not a field of a link")
        else:
            problems += accepts(link_create[field], server, schema, sent, f"BulkLink.{field}")
    missing = {
        name
        for name in server.definitions["RoutingRule"]["properties"]
        if name not in mcp_schemas.RoutingRule.model_fields
        and ("RoutingRule", name) not in API_ALIASES
    }
    assert not missing, f"RoutingRule fields the MCP tools cannot send: {missing}"
    assert not problems, "\n".join(problems)


async def test_mcp_tools_send_what_their_operation_takes(document: dict[str, Any]) -> None:
    client = AsyncXQR(api_key="xqr_pk_00000000." + "a" * 64, base_url="http://testserver")
    tools = {tool.name: tool for tool in await build_server(client).list_tools()}
    assert sorted(tools) == sorted(MCP_OPERATIONS)
    server = api_side(document)
    problems = []
    for name, (method, path) in MCP_OPERATIONS.items():
        op = operation(document, method, path)
        taken = inputs(document, op)
        schema = tools[name].input_schema
        sent = Schemas(schema.get("$defs", {}), "#/$defs/", MCP_INPUT_MODELS, omits_null=True)
        for param, param_schema in schema["properties"].items():
            if (name, param) in MCP_LOCAL_PARAMETERS:
                continue
            if param not in taken:
                problems.append(f"{name}({param}): not a parameter of {method.upper()} {path}")
                continue
            problems += accepts(taken[param], server, param_schema, sent, f"{name}({param})")
        body = body_schema(document, op) or {}
        for required in body.get("required", []):
            if required not in schema.get("required", []):
                problems.append(f"{name}: the API requires {required}, the tool does not")
    assert not problems, "\n".join(problems)
