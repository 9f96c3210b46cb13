//! `device.json`: the factory record a device boots from, written by `hc-cloud provision` and read
//! by `hc-device` / `nvr-sim`. It lives here because both sides must agree on it and neither may
//! depend on the other.

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::keys::DeviceKey;
use crate::qr::{MAX_FIELD_LEN, Serial};

/// Length of the printed label code.
pub const LABEL_CODE_LEN: usize = 6;

/// The 6 letters A-Z printed on the device's label: proof of physical access when binding.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct LabelCode(String);

impl LabelCode {
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == LABEL_CODE_LEN && text.bytes().all(|b| b.is_ascii_uppercase()))
            .then(|| LabelCode(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LabelCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LabelCode(<redacted>)")
    }
}

/// The factory record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub serial: Serial,
    pub model: String,
    pub firmware: String,
    pub device_key: DeviceKey,
    pub label_code: LabelCode,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactoryError {
    #[error("device.json is not a JSON object: {0}")]
    NotJson(String),
    #[error("device.json: field `{0}` is missing")]
    Missing(&'static str),
    #[error("device.json: field `{field}` {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

impl DeviceRecord {
    /// Parses `device.json`, naming the first field that is missing or malformed.
    pub fn from_json(text: &str) -> Result<Self, FactoryError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| FactoryError::NotJson(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(FactoryError::NotJson("expected an object".into()));
        };
        let serial = Serial::parse(field(&map, "serial")?).map_err(|_| FactoryError::Invalid {
            field: "serial",
            reason: "must be nine of A-Z and 0-9",
        })?;
        let model = text_field(&map, "model")?;
        let firmware = text_field(&map, "firmware")?;
        let device_key =
            DeviceKey::from_hex(field(&map, "device_key")?).map_err(|_| FactoryError::Invalid {
                field: "device_key",
                reason: "must be 64 hexadecimal characters",
            })?;
        let label_code =
            LabelCode::parse(field(&map, "label_code")?).ok_or(FactoryError::Invalid {
                field: "label_code",
                reason: "must be 6 letters A-Z",
            })?;
        Ok(DeviceRecord {
            serial,
            model,
            firmware,
            device_key,
            label_code,
        })
    }

    /// Pretty JSON for the file. It holds the device key: write it with owner-only permissions.
    pub fn to_json(&self) -> Zeroizing<String> {
        let value = serde_json::json!({
            "serial": self.serial.as_str(),
            "model": self.model,
            "firmware": self.firmware,
            "device_key": self.device_key.to_hex().as_str(),
            "label_code": self.label_code.as_str(),
        });
        Zeroizing::new(serde_json::to_string_pretty(&value).unwrap_or_default() + "\n")
    }
}

fn field<'a>(map: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, FactoryError> {
    match map.get(name) {
        None | Some(Value::Null) => Err(FactoryError::Missing(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(FactoryError::Invalid {
            field: name,
            reason: "must be a string",
        }),
    }
}

fn text_field(map: &Map<String, Value>, name: &'static str) -> Result<String, FactoryError> {
    let text = field(map, name)?;
    if text.len() > MAX_FIELD_LEN || !text.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(FactoryError::Invalid {
            field: name,
            reason: "must be at most 24 printable ASCII characters",
        });
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"serial":"J12345678","model":"DS-7608NI-K2/8P","firmware":"V4.61.005",
        "device_key":"a267be5def9a447989a26b8d44beff3ec6dcd08e403b2fe108bf5a7717a01c0b","label_code":"ABCDEF"}"#;

    #[test]
    fn a_good_record_round_trips() {
        let record = DeviceRecord::from_json(GOOD).unwrap();
        assert_eq!(record.serial.as_str(), "J12345678");
        assert_eq!(DeviceRecord::from_json(&record.to_json()).unwrap(), record);
    }

    #[test]
    fn each_missing_or_bad_field_is_named() {
        for name in ["serial", "model", "firmware", "device_key", "label_code"] {
            let mut value: Value = serde_json::from_str(GOOD).unwrap();
            value.as_object_mut().unwrap().remove(name);
            let err = DeviceRecord::from_json(&value.to_string()).unwrap_err();
            assert_eq!(err, FactoryError::Missing(name));
            assert!(err.to_string().contains(name));

            let mut value: Value = serde_json::from_str(GOOD).unwrap();
            value[name] = Value::String("\u{7}bad".into());
            match DeviceRecord::from_json(&value.to_string()).unwrap_err() {
                FactoryError::Invalid { field, .. } => assert_eq!(field, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn not_json_is_a_clear_error() {
        assert!(matches!(
            DeviceRecord::from_json("nope"),
            Err(FactoryError::NotJson(_))
        ));
        assert!(matches!(
            DeviceRecord::from_json("[]"),
            Err(FactoryError::NotJson(_))
        ));
    }
}
