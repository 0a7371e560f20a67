//! Who and which camera: turns a file's drop folder and EXIF body into the
//! people matching considers (the dropper and the camera owner) and the clock
//! offset that corrects its capture time. No schedule or time logic here.

use super::slots::same_user;
use super::{text, FileEvidence, World};
use crate::schedule::{serial_key, Camera, Person};

/// Which camera took a file, as far as the registry tells.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum CameraId<'a> {
    /// Registered, found by body serial.
    Serial(&'a Camera),
    /// Registered, found by make and model: the file has no serial and exactly
    /// one camera of that model is registered.
    Model(&'a Camera),
    /// The file names a body serial nobody registered.
    Unregistered { serial: String, label: String },
    /// Nothing to go on.
    Unknown { label: Option<String> },
}

/// Who dropped a file and which camera took it, as the folder and the registry tell.
#[derive(Debug, Clone)]
pub(super) struct Evidence<'a> {
    /// The person whose username is the drop folder.
    pub dropper: Option<&'a Person>,
    /// A drop folder that names nobody (a card reader's volume name, "kiriman").
    pub stray_folder: Option<String>,
    pub camera: CameraId<'a>,
}

impl<'a> Evidence<'a> {
    pub(super) fn identify(file: &FileEvidence, world: &World<'a>) -> Evidence<'a> {
        let folder = file
            .drop_folder
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty());
        let dropper = folder.and_then(|f| world.people.iter().find(|p| same_user(&p.username, f)));
        Evidence {
            dropper,
            stray_folder: folder.filter(|_| dropper.is_none()).map(str::to_owned),
            camera: identify_camera(file, world.cameras, dropper),
        }
    }

    pub(super) fn registered(&self) -> Option<&'a Camera> {
        match self.camera {
            CameraId::Serial(camera) | CameraId::Model(camera) => Some(camera),
            _ => None,
        }
    }

    pub(super) fn owner(&self) -> Option<&'a str> {
        self.registered().map(|c| c.owner.as_str())
    }

    pub(super) fn dropper_name(&self) -> Option<&'a str> {
        self.dropper.map(|p| p.username.as_str())
    }

    /// Camera clock minus true time; 0 when the camera is not registered.
    pub(super) fn clock_offset(&self) -> i64 {
        self.registered().map_or(0, |c| c.clock_offset_seconds)
    }

    /// The dropper, then the camera owner when someone else (a borrowed camera).
    pub(super) fn people(&self) -> Vec<&'a str> {
        let mut people: Vec<&'a str> = self.dropper_name().into_iter().collect();
        if let Some(owner) = self.owner() {
            if !people.iter().any(|p| same_user(p, owner)) {
                people.push(owner);
            }
        }
        people
    }

    /// Whom the file is attributed to when nothing narrower is known: the
    /// camera's owner, else the dropper.
    pub(super) fn photographer(&self) -> Option<String> {
        self.owner().or(self.dropper_name()).map(str::to_owned)
    }

    /// "kamera 0123 (Canon EOS 90D) belum terdaftar", for triage reasons.
    pub(super) fn unregistered_note(&self) -> Option<String> {
        match &self.camera {
            CameraId::Unregistered { label, .. } => Some(format!("{label} belum terdaftar")),
            _ => None,
        }
    }
}

fn identify_camera<'a>(
    file: &FileEvidence,
    cameras: &'a [Camera],
    dropper: Option<&Person>,
) -> CameraId<'a> {
    let label =
        |serial: Option<&str>| text::camera(serial, file.make.as_deref(), file.model.as_deref());
    if let Some(serial) = usable_serial(file.serial.as_deref()) {
        let key = serial_key(serial);
        return match cameras.iter().find(|c| serial_key(&c.serial) == key) {
            Some(camera) => CameraId::Serial(camera),
            None => CameraId::Unregistered {
                serial: serial.to_owned(),
                label: label(Some(serial)),
            },
        };
    }
    let unknown = CameraId::Unknown {
        label: text::model_name(file.make.as_deref(), file.model.as_deref()),
    };
    let (Some(make), Some(model)) = (clean(file.make.as_deref()), clean(file.model.as_deref()))
    else {
        return unknown;
    };
    let same_model: Vec<&Camera> = cameras
        .iter()
        .filter(|c| {
            clean(c.make.as_deref()).as_ref() == Some(&make)
                && clean(c.model.as_deref()).as_ref() == Some(&model)
        })
        .collect();
    match same_model[..] {
        // Phones of one model are common: in someone's own dump, another
        // person's registered phone of the same model is likelier a lookalike
        // than a borrowed one, so the model only counts for the dropper's own.
        [only] if dropper.is_none_or(|d| same_user(&d.username, &only.owner)) => {
            CameraId::Model(only)
        }
        _ => unknown,
    }
}

/// The serial as read, unless it is empty or a placeholder of zeros.
fn usable_serial(serial: Option<&str>) -> Option<&str> {
    let serial = serial?.trim().trim_matches('\0').trim();
    (!serial.is_empty() && !serial.bytes().all(|b| b == b'0')).then_some(serial)
}

/// Make and model compare case-insensitively, trimmed (EXIF pads with NULs).
fn clean(s: Option<&str>) -> Option<String> {
    let s = s?.trim().trim_matches('\0').trim();
    (!s.is_empty()).then(|| s.to_lowercase())
}
