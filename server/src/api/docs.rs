//! `GET /api/v1/docs`: the API's reference for people, one HTML page written from the
//! OpenAPI document (so it says what the code does), with no script and nothing fetched
//! from elsewhere: the operations by tag, their parameters and answers, the schemas, and
//! every problem code with an anchor (`#problem-<code>`), which problems link to.

use std::fmt::Write as _;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::problem::Code;

pub async fn page() -> Response {
    static PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(render);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ],
        PAGE.as_str(),
    )
        .into_response()
}

fn render() -> String {
    let doc: Value = serde_json::from_str(super::document_json()).unwrap_or(Value::Null);
    let mut html = String::with_capacity(16 * 1024);
    let title = text(&doc["info"]["title"]);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/lastmile.css\"></head>\
         <body class=\"api-docs\"><main><h1>{title}</h1><p>{}</p>\
         <p>Base URL: <code>/api/v1</code>. The machine-readable document: \
         <a href=\"/api/v1/openapi.json\">openapi.json</a> (OpenAPI {}).</p>",
        text(&doc["info"]["description"]),
        text(&doc["openapi"]),
    );

    // Operations, by path (the document keeps them in order).
    html.push_str("<h2 id=\"operations\">Operations</h2>");
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                let id = text(&op["operationId"]);
                let _ = write!(
                    html,
                    "<section id=\"op-{id}\"><h3><code>{} {}</code> {}</h3><p>{}</p>",
                    method.to_uppercase(),
                    esc(path),
                    text(&op["summary"]),
                    text(&op["description"]),
                );
                if let Some(security) = op["security"].as_array() {
                    let scopes: Vec<String> = security
                        .iter()
                        .filter_map(|s| s["api_key"].as_array())
                        .flatten()
                        .map(text)
                        .collect();
                    if !scopes.is_empty() {
                        let _ = write!(html, "<p>Scope: <code>{}</code></p>", scopes.join(", "));
                    }
                }
                if let Some(params) = op["parameters"].as_array() {
                    html.push_str("<table><thead><tr><th>Parameter</th><th>In</th><th>Required</th><th>About</th></tr></thead><tbody>");
                    for p in params {
                        let _ =
                            write!(
                            html,
                            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            text(&p["name"]),
                            text(&p["in"]),
                            if p["required"].as_bool() == Some(true) { "yes" } else { "no" },
                            text(&p["description"]),
                        );
                    }
                    html.push_str("</tbody></table>");
                }
                if let Some(responses) = op["responses"].as_object() {
                    html.push_str("<table><thead><tr><th>Status</th><th>Means</th><th>Body</th></tr></thead><tbody>");
                    for (status, r) in responses {
                        let body = r["content"]
                            .as_object()
                            .and_then(|c| c.values().next())
                            .map(|media| schema_name(&media["schema"]))
                            .unwrap_or_default();
                        let _ = write!(
                            html,
                            "<tr><td>{}</td><td>{}</td><td>{body}</td></tr>",
                            esc(status),
                            text(&r["description"]),
                        );
                    }
                    html.push_str("</tbody></table>");
                }
                html.push_str("</section>");
            }
        }
    }

    // Schemas.
    html.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(html, "<section id=\"schema-{0}\"><h3>{0}</h3>", esc(name));
            if let Some(values) = schema["enum"].as_array() {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| format!("<code>{}</code>", text(v)))
                    .collect();
                let _ = write!(html, "<p>One of {}.</p>", values.join(", "));
            }
            if let Some(props) = schema["properties"].as_object() {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                html.push_str("<table><thead><tr><th>Field</th><th>Type</th><th>About</th></tr></thead><tbody>");
                for (field, p) in props {
                    let _ = write!(
                        html,
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(field),
                        if required.contains(&field.as_str()) {
                            ""
                        } else {
                            " (optional)"
                        },
                        schema_name(p),
                        text(&p["description"]),
                    );
                }
                html.push_str("</tbody></table>");
            }
            html.push_str("</section>");
        }
    }

    // Problems.
    html.push_str(
        "<h2 id=\"problems\">Problems</h2><p>Every error is <code>application/problem+json</code> \
         (RFC 9457): <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>, \
         a stable <code>code</code>, and, when one field or parameter is at fault, \
         <code>pointer</code> (a JSON Pointer into the body) or <code>parameter</code>.</p><dl>",
    );
    for code in Code::ALL {
        let _ = write!(
            html,
            "<dt id=\"problem-{0}\"><code>{0}</code> ({1})</dt><dd>{2}</dd>",
            code.as_str(),
            code.status().as_u16(),
            esc(code.title()),
        );
    }
    html.push_str("</dl></main></body></html>");
    html
}

/// A schema's type in a few words: `Plan`, `array of Plan`, `string`, `integer or null`.
fn schema_name(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(one_of) = schema["oneOf"].as_array() {
        return one_of
            .iter()
            .map(schema_name)
            .collect::<Vec<_>>()
            .join(" or ");
    }
    match &schema["type"] {
        Value::String(t) if t == "array" => format!("array of {}", schema_name(&schema["items"])),
        Value::String(t) => esc(t),
        Value::Array(types) => types.iter().map(text).collect::<Vec<_>>().join(" or "),
        _ => String::new(),
    }
}

/// A JSON string's text, escaped for HTML (other values as JSON).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => esc(s),
        Value::Null => String::new(),
        other => esc(&other.to_string()),
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
