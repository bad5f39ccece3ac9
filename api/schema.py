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


# The case operations a list's rows lead to: OpenAPI links, so that a
# client (and the fuzzer's stateful phase) can follow a listed case's id.
CASE_OPERATIONS = ("get", "patch", "post")


def link_cases(result, generator, request, public):
    paths = result.get("paths", {})
    targets = {
        f"{method}-{path}": operation["operationId"]
        for path, operations in paths.items()
        if path.startswith("/api/v1/cases/{id}/")
        for method, operation in operations.items()
        if method in CASE_OPERATIONS and isinstance(operation, dict) and "operationId" in operation
    }
    links = {
        name.replace("_", " ").title().replace(" ", ""): {
            "operationId": name,
            "parameters": {"id": "$response.body#/results/0/id"},
        }
        for name in targets.values()
    }
    for path in ("/api/v1/cases/", "/api/v1/overdue/"):
        response = paths.get(path, {}).get("get", {}).get("responses", {}).get("200")
        if response is not None:
            response["links"] = links
    return result
