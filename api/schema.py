"""The error answers every API operation can give, added to the OpenAPI
schema once instead of on each view (a drf-spectacular postprocessing
hook): all in the one error shape, ``ErrorOut``."""

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
ERROR_CONTENT = {"application/json": {"schema": ERROR_REF}}

# Any operation: bad input or query string, no or a bad token, a role or
# city that may not, outside the caller's scope, an Accept header it cannot
# serve, a server error.
ALWAYS = {
    "400": "Bad input or query string; `field` names it.",
    "401": "No valid credentials.",
    "403": "Not allowed for this account.",
    "404": "Not found, or outside the caller's scope.",
    "406": "The Accept header asks for something other than JSON.",
    "500": "A server error; it is logged.",
}
# Operations that take a body.
WITH_BODY = {
    "413": "The request body is larger than accepted.",
    "415": "The body's Content-Type is not one the operation takes.",
}


def document_errors(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            errors = {**ALWAYS, **(WITH_BODY if "requestBody" in operation else {})}
            for code, description in errors.items():
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = ERROR_CONTENT
                    if not response.get("description"):
                        response["description"] = errors.get(code, "An error in the API's error shape.")
    return result


# The operations a list's rows lead to: OpenAPI links, so that a client
# (and the fuzzer's stateful phase) can follow a listed row's id. Each
# entry: the prefix of the operations on one row, and the lists (and the
# creations) that name such rows.
ROW_OPERATIONS = ("get", "patch", "post")
ROW_LINKS = (
    ("/api/v1/cases/{id}/", {("/api/v1/cases/", "get", "200"): "results/0/id", ("/api/v1/overdue/", "get", "200"): "results/0/id"}),
    (
        "/api/v1/dispatch/rounds/{id}/",
        {("/api/v1/dispatch/rounds/", "get", "200"): "results/0/id", ("/api/v1/dispatch/rounds/", "post", "201"): "id"},
    ),
)


def link_rows(result, generator, request, public):
    """Links from the case lists to each case's operations, and from the
    dispatch rounds' list (and a round just opened) to the round's."""
    paths = result.get("paths", {})
    for prefix, sources in ROW_LINKS:
        targets = [
            operation["operationId"]
            for path, operations in paths.items()
            if path.startswith(prefix)
            for method, operation in operations.items()
            if method in ROW_OPERATIONS and isinstance(operation, dict) and "operationId" in operation
        ]
        for (path, method, status), pointer in sources.items():
            response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
            if response is not None:
                response["links"] = {
                    name.replace("_", " ").title().replace(" ", ""): {
                        "operationId": name,
                        "parameters": {"id": f"$response.body#/{pointer}"},
                    }
                    for name in targets
                }
    return result
