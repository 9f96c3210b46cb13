//! Factory provisioning: a registry row and the `device.json` the device boots from.

use std::path::Path;

use hc_protocol::factory::{DeviceRecord, LabelCode};
use hc_protocol::{DeviceKey, Serial};

use crate::crypto::{MasterKey, new_device_secrets, write_secret_file};
use crate::error::Error;
use crate::state::unix_now;
use crate::storage::{NewDevice, Storage};

/// What to provision. Key and label code are random unless given (tests pin them to vectors).
#[derive(Clone, Debug)]
pub struct ProvisionRequest {
    pub serial: String,
    pub model: String,
    pub firmware: String,
    pub device_key: Option<DeviceKey>,
    pub label_code: Option<LabelCode>,
}

impl ProvisionRequest {
    pub fn new(
        serial: impl Into<String>,
        model: impl Into<String>,
        firmware: impl Into<String>,
    ) -> Self {
        ProvisionRequest {
            serial: serial.into(),
            model: model.into(),
            firmware: firmware.into(),
            device_key: None,
            label_code: None,
        }
    }

    pub fn with_device_key(mut self, key: DeviceKey) -> Self {
        self.device_key = Some(key);
        self
    }

    pub fn with_label_code(mut self, label: LabelCode) -> Self {
        self.label_code = Some(label);
        self
    }
}

/// Writes the registry row (key sealed under the master key, label code as a keyed hash) and
/// returns the factory record. Fails if the serial is already provisioned.
pub async fn provision_into(
    storage: &dyn Storage,
    master_key: &MasterKey,
    request: ProvisionRequest,
) -> Result<DeviceRecord, Error> {
    let serial = Serial::parse(&request.serial)
        .map_err(|_| Error::Provision("a serial is nine of A-Z and 0-9".into()))?;
    for (field, text) in [("model", &request.model), ("firmware", &request.firmware)] {
        if text.len() > 24 || !text.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(Error::Provision(format!(
                "{field} must be at most 24 printable ASCII characters"
            )));
        }
    }
    let (random_key, random_label) = new_device_secrets();
    let device_key = request.device_key.unwrap_or(random_key);
    let label_code = request.label_code.unwrap_or(random_label);
    let row = NewDevice {
        serial: serial.to_string(),
        model: request.model.clone(),
        firmware: request.firmware.clone(),
        sealed_key: master_key.seal_device_key(serial.as_str(), &device_key),
        label_hash: master_key.label_code_hash(serial.as_str(), &label_code),
        provisioned_at: unix_now(),
    };
    if !storage.insert_device(&row).await? {
        return Err(Error::Provision(format!(
            "serial {serial} is already provisioned"
        )));
    }
    Ok(DeviceRecord {
        serial,
        model: request.model,
        firmware: request.firmware,
        device_key,
        label_code,
    })
}

/// What `hc-cloud provision` tells the factory: the device, where its `device.json` went, and
/// the label code it wrote, which goes on the device's label (the owner types it in the app to
/// add the device; the cloud keeps only a keyed hash of it, so this is the one time it is shown).
pub fn provisioned_summary(record: &DeviceRecord, out: &Path) -> String {
    format!(
        "provisioned {} ({}); device.json written to {}\n\
         label code: {} (print it on the device's label: the owner types it in the app to add \
         the device)",
        record.serial,
        record.model,
        out.display(),
        record.label_code.as_str()
    )
}

/// Writes `device.json` readable by its owner only (it holds the device key). Without
/// `overwrite`, an existing file is an error.
pub fn write_device_json(record: &DeviceRecord, path: &Path, overwrite: bool) -> Result<(), Error> {
    write_secret_file(path, record.to_json().as_bytes(), overwrite)
}
