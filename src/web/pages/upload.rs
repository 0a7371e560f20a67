//! Unggah: the upload page. Files picked on a phone or a PC go, in chunks
//! that survive a dropped connection, to `/api/uploads` (`web::upload`) and
//! land in the uploader's inbox folder; `static/upload.js` does the sending.

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use maud::html;

use super::{layout, page};
use crate::auth::{Need, Target, Viewer};
use crate::web::access::Routes;
use crate::web::AppState;

/// Bytes per PATCH request. Each request is one audit row and one fsync;
/// what a dropped connection already delivered is kept whatever the size.
pub const CHUNK_BYTES: u64 = 8 * 1024 * 1024;

/// What the file picker offers: media, camera raw files and their sidecars.
const ACCEPT: &str = "image/*,video/*,audio/*,\
    .jpg,.jpeg,.heic,.heif,.png,.tif,.tiff,\
    .cr2,.cr3,.nef,.arw,.dng,.raf,.orf,.rw2,\
    .mp4,.mov,.mts,.m2ts,.mxf,.wav,.mp3,.m4a,.xmp,.thm";

pub fn routes(r: Routes) -> Routes {
    r.get("/unggah", Need::Crew(Target::Own), unggah)
}

async fn unggah(State(state): State<AppState>, Extension(viewer): Extension<Viewer>) -> Response {
    if let Some(root) = state.config.inbox.first() {
        crate::web::upload::sweep_now_and_then(root);
    }
    let today = crate::dates::date_in(jiff::Timestamp::now(), state.zone);
    let folder = format!("{}/unggah-{today}/", viewer.username);
    let max = state.config.upload_max_bytes;
    let body = html! {
        h1 { "Unggah" }
        section.card {
            p {
                "Pilih foto, video atau rekaman dari ponsel atau komputer. Berkas dikirim "
                "sepotong demi sepotong: bila koneksi putus, pengiriman dilanjutkan dari bagian "
                "yang sudah diterima server."
            }
            p.muted {
                "Berkas masuk ke folder inbox Anda (" code { (folder) } ") lalu diproses seperti "
                "kartu memori biasa; berkas muncul di " a href="/arsip" { "Arsip" }
                " setelah selesai diproses (biasanya dalam satu menit, video besar lebih lama). "
                "Ukuran maksimum per berkas: " (size_text(max)) "."
            }
            noscript { p.error { "Halaman ini memerlukan JavaScript." } }
            form #unggah.stack data-upload="/api/uploads" data-chunk=(CHUNK_BYTES) data-max=(max) {
                label {
                    "Berkas"
                    input #unggah-berkas type="file" name="berkas" multiple accept=(ACCEPT);
                }
                p.form-error hidden {}
            }
        }
        section.card #unggah-ringkasan hidden {
            h2 { "Kemajuan" }
            progress #unggah-total max="1" value="0" {}
            p #unggah-status.muted {}
            p { button #unggah-lanjut type="button" hidden { "Lanjutkan" } }
            ul.plain #unggah-daftar {}
        }
        script src="/static/upload.js" defer {}
    };
    page(layout(&viewer, "Unggah", "/unggah", body))
}

/// "16 GB", "500 MB": binary units, as file managers show them.
pub fn size_text(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    const GB: u64 = 1024 * MB;
    if bytes >= GB && bytes.is_multiple_of(GB) {
        format!("{} GB", bytes / GB)
    } else if bytes >= GB {
        format!("{:.1} GB", bytes as f64 / GB as f64).replace('.', ",")
    } else {
        format!("{} MB", bytes.div_ceil(MB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_text(16384 * 1024 * 1024), "16 GB");
        assert_eq!(size_text(1536 * 1024 * 1024), "1,5 GB");
        assert_eq!(size_text(500 * 1024 * 1024), "500 MB");
    }
}
