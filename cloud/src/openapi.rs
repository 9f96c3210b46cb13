//! `/openapi.json`, built from the route table in [`crate::routes`] (so it lists every route) and
//! the schemas below, which a unit test holds against the real `hc_protocol::api` types.

use hc_protocol::api::ErrorCode;
use serde_json::{Map, Value, json};

use crate::routes::Route;

/// The description of one route.
#[derive(Clone, Debug)]
pub struct Operation {
    operation_id: &'static str,
    summary: &'static str,
    authenticated: bool,
    body: Option<&'static str>,
    success: (u16, Option<&'static str>),
    errors: Vec<ErrorCode>,
    parameters: Vec<Value>,
}

impl Operation {
    pub fn new(operation_id: &'static str, summary: &'static str) -> Self {
        Operation {
            operation_id,
            summary,
            authenticated: false,
            body: None,
            success: (200, None),
            errors: Vec::new(),
            parameters: Vec::new(),
        }
    }

    pub fn authenticated(mut self) -> Self {
        self.authenticated = true;
        self
    }

    pub fn body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self
    }

    pub fn responds(mut self, status: u16, schema: &'static str) -> Self {
        self.success = (status, Some(schema));
        self
    }

    pub fn responds_empty(mut self, status: u16) -> Self {
        self.success = (status, None);
        self
    }

    pub fn errors(mut self, codes: &[ErrorCode]) -> Self {
        self.errors = codes.to_vec();
        self
    }

    pub fn path_parameter(mut self, name: &'static str) -> Self {
        self.parameters.push(json!({
            "name": name, "in": "path", "required": true, "schema": {"type": "string"}
        }));
        self
    }

    pub fn query_parameter(mut self, name: &'static str, description: &'static str) -> Self {
        self.parameters.push(json!({
            "name": name, "in": "query", "required": false, "description": description,
            "schema": {"type": "integer"}
        }));
        self
    }

    fn to_json(&self) -> Value {
        let mut op = Map::new();
        op.insert("operationId".into(), json!(self.operation_id));
        op.insert("summary".into(), json!(self.summary));
        if !self.parameters.is_empty() {
            op.insert("parameters".into(), Value::Array(self.parameters.clone()));
        }
        if self.authenticated {
            op.insert("security".into(), json!([{"bearer": []}]));
        }
        if let Some(body) = self.body {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema_ref(body)}}}),
            );
        }
        let mut responses = Map::new();
        let (status, schema) = self.success;
        responses.insert(
            status.to_string(),
            match schema {
                Some(schema) => json!({"description": "success",
                    "content": {"application/json": {"schema": schema_ref(schema)}}}),
                None => json!({"description": "success, no body"}),
            },
        );
        if !self.errors.is_empty() {
            let codes: Vec<&str> = self.errors.iter().map(|c| c.as_str()).collect();
            responses.insert(
                "default".into(),
                json!({"description": format!("error; codes: {}", codes.join(", ")),
                    "content": {"application/json": {"schema": schema_ref("ErrorBody")}}}),
            );
        }
        op.insert("responses".into(), Value::Object(responses));
        Value::Object(op)
    }
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The OpenAPI 3.1 document for these routes.
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(route.method.as_str().to_lowercase(), route.doc.to_json());
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "hc cloud API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts, device binding and Reset Device Password codes (DESIGN.md section 4). \
                Every error is {\"error\": {\"code\", \"message\"}}."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        }
    })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

/// The schemas of the `hc_protocol::api` types.
pub fn schemas() -> Value {
    let string = json!({"type": "string"});
    let int = json!({"type": "integer", "format": "int64"});
    let opt_string = json!({"type": ["string", "null"]});
    let error_codes: Vec<&str> = all_error_codes().iter().map(|c| c.as_str()).collect();
    json!({
        "Credentials": object(&["email", "password"], json!({"email": string, "password": string})),
        "AccountCreated": object(&["email"], json!({"email": string})),
        "Tokens": object(&["access_token", "refresh_token", "expires_in_secs"], json!({
            "access_token": string, "refresh_token": string, "expires_in_secs": int})),
        "RefreshRequest": object(&["refresh_token"], json!({"refresh_token": string})),
        "ChangePasswordRequest": object(&["current_password", "new_password"], json!({
            "current_password": string, "new_password": string})),
        "Device": object(&["serial", "name", "model", "added_at"], json!({
            "serial": string, "name": string, "model": string, "added_at": int})),
        "DeviceList": object(&["devices"], json!({"devices": {"type": "array", "items": schema_ref("Device")}})),
        "AddDeviceRequest": object(&["serial", "label_code"], json!({
            "serial": string, "label_code": string, "name": string})),
        "ResetCodeRequest": object(&["qr"], json!({"qr": string})),
        "ResetCodeResponse": object(&["serial", "model", "code", "valid_for_secs"], json!({
            "serial": string, "model": string, "code": string, "valid_for_secs": int})),
        "AuditEvent": object(&["id", "at", "serial", "nonce", "outcome", "client_addr"], json!({
            "id": int, "at": int, "serial": opt_string, "nonce": opt_string,
            "outcome": {"type": "string", "enum": ["issued", "invalid_qr", "device_not_bound", "bound_to_other_account", "rate_limited"]},
            "client_addr": opt_string, "count": int})),
        "AuditList": object(&["events"], json!({"events": {"type": "array", "items": schema_ref("AuditEvent")}})),
        "DeviceSyncRequest": object(&["v", "serial", "nonce", "ts", "tag"], json!({
            "v": {"type": "integer", "enum": [2]}, "serial": string, "nonce": string, "ts": int, "tag": string})),
        "DeviceSyncResponse": object(&["bound", "tag"], json!({"bound": {"type": "boolean"}, "tag": string})),
        "ErrorDetail": object(&["code", "message"], json!({
            "code": {"type": "string", "enum": error_codes},
            "message": string, "attempts_left": int, "retry_after_secs": int})),
        "ErrorBody": object(&["error"], json!({"error": schema_ref("ErrorDetail")})),
        "Health": object(&["status"], json!({"status": string})),
        "OpenApi": {"type": "object"},
    })
}

/// The codes this service can answer with.
fn all_error_codes() -> &'static [ErrorCode] {
    use ErrorCode::*;
    &[
        BadRequest,
        Unauthorized,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        UnsupportedMediaType,
        RateLimited,
        Internal,
        Unavailable,
        UnsupportedVersion,
        EmailTaken,
        WeakPassword,
        InvalidEmail,
        InvalidCredentials,
        InvalidSerial,
        WrongLabelCode,
        BoundToOtherAccount,
        AlreadyAdded,
        InvalidQr,
        DeviceNotBound,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use hc_protocol::api::*;

    /// Each schema names exactly the fields the real type serializes (optional ones may be absent).
    fn assert_schema_matches<T: serde::Serialize>(name: &str, sample: T) {
        let schemas = schemas();
        let schema = &schemas[name];
        let properties = schema["properties"].as_object().unwrap();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let value = serde_json::to_value(sample).unwrap();
        let fields = value.as_object().unwrap();
        for key in fields.keys() {
            assert!(properties.contains_key(key), "{name}: schema lacks {key}");
        }
        for key in &required {
            assert!(
                fields.contains_key(*key),
                "{name}: {key} is required but not serialized"
            );
        }
    }

    #[test]
    fn schemas_describe_the_protocol_types() {
        let device = Device {
            serial: "J12345678".into(),
            name: "n".into(),
            model: "m".into(),
            added_at: 1,
        };
        let event = AuditEvent {
            id: 1,
            at: 1,
            serial: None,
            nonce: None,
            outcome: AuditOutcome::Issued,
            client_addr: None,
            count: 1,
        };
        assert_schema_matches(
            "Credentials",
            Credentials {
                email: "e".into(),
                password: "p".into(),
            },
        );
        assert_schema_matches("AccountCreated", AccountCreated { email: "e".into() });
        assert_schema_matches(
            "Tokens",
            Tokens {
                access_token: "a".into(),
                refresh_token: "r".into(),
                expires_in_secs: 1,
            },
        );
        assert_schema_matches(
            "RefreshRequest",
            RefreshRequest {
                refresh_token: "r".into(),
            },
        );
        assert_schema_matches(
            "ChangePasswordRequest",
            ChangePasswordRequest {
                current_password: "c".into(),
                new_password: "n".into(),
            },
        );
        assert_schema_matches("Device", device.clone());
        assert_schema_matches(
            "DeviceList",
            DeviceList {
                devices: vec![device],
            },
        );
        assert_schema_matches(
            "AddDeviceRequest",
            AddDeviceRequest {
                serial: "s".into(),
                label_code: "l".into(),
                name: Some("n".into()),
            },
        );
        assert_schema_matches("ResetCodeRequest", ResetCodeRequest { qr: "q".into() });
        assert_schema_matches(
            "ResetCodeResponse",
            ResetCodeResponse {
                serial: "s".into(),
                model: "m".into(),
                code: "c".into(),
                valid_for_secs: 1,
            },
        );
        assert_schema_matches("AuditEvent", event.clone());
        assert_schema_matches(
            "AuditList",
            AuditList {
                events: vec![event],
            },
        );
        assert_schema_matches(
            "DeviceSyncRequest",
            DeviceSyncRequest {
                v: 2,
                serial: "s".into(),
                nonce: "n".into(),
                ts: 1,
                tag: "t".into(),
            },
        );
        assert_schema_matches(
            "DeviceSyncResponse",
            DeviceSyncResponse {
                bound: true,
                tag: "t".into(),
            },
        );
        let mut error = ErrorBody::new(ErrorCode::RateLimited, "m");
        error.error.retry_after_secs = Some(1);
        error.error.attempts_left = Some(1);
        assert_schema_matches("ErrorBody", error.clone());
        assert_schema_matches("ErrorDetail", error.error);
    }

    #[test]
    fn every_route_and_every_referenced_schema_is_in_the_document() {
        let routes = crate::routes::routes();
        let doc = document(&routes);
        for route in &routes {
            let method = route.method.as_str().to_lowercase();
            assert!(
                doc["paths"][route.path][&method].is_object(),
                "{method} {} missing",
                route.path
            );
        }
        let text = doc.to_string();
        for reference in text.split("#/components/schemas/").skip(1) {
            let name: String = reference
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            assert!(
                doc["components"]["schemas"][&name].is_object(),
                "{name} missing"
            );
        }
    }
}
